"""Account pages: thin views that call forum.services.accounts."""

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.auth import bp
from forum.auth.forms import (
    DeleteForm,
    ForgotForm,
    InvitedRegisterForm,
    LanguageForm,
    LoginForm,
    LogoutForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResetForm,
    SignInLinkForm,
)
from forum.errors import AccountLocked, ServiceError
from forum.i18n import select_locale
from forum.models import utcnow
from forum.pages import ConfirmForm, apply_errors, check_form, error_headers, me
from forum.services import accounts, exports, profiles, registration, trust
from forum.services.site import site_name
from forum.web import safe_next


def client_ip() -> str:
    return request.remote_addr or "unknown"


def clear_session() -> None:
    """Forget everything in the cookie session but the visitor's language choice."""
    lang = session.get("lang")
    session.clear()
    g.pop("csrf_token", None)
    if lang:
        session["lang"] = lang


def begin_login_session(user, started) -> None:
    """Replace whatever the browser had with a fresh session (new CSRF token too)."""
    clear_session()
    session["sid"] = started.token
    session.permanent = True


def remember_device(response, device: str) -> None:
    """Keep the known-device token (accounts.authenticate) in a cookie that only the login
    page receives, and that logout leaves in place."""
    config = current_app.config
    response.set_cookie(
        config["KNOWN_DEVICE_COOKIE"], device, max_age=config["KNOWN_DEVICE_DAYS"] * 24 * 3600,
        path=url_for("auth.login"), secure=config["SESSION_COOKIE_SECURE"], httponly=True,
        samesite="Lax",
    )


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    token = request.values.get("invitation")
    if token is not None:
        return _register_invited(token)
    form = RegisterForm()
    status, headers = 200, {}
    if registration.by_invitation_only():
        if request.method == "POST":
            check_form(form)
            status = 403
        return render_template("auth/register.html", form=None, invitation=None), status
    if form.validate_on_submit():
        try:
            email = registration.request_registration(
                form.username.data,
                form.email.data,
                form.password.data,
                form.display_name.data,
                locale=select_locale(),
                ip=client_ip(),
            )
        except ServiceError as error:
            apply_errors(form, error)
            status, headers = error.status, error_headers(error)
        else:
            # The same page whether or not the address has an account already.
            g.no_store = True
            return render_template("auth/register_sent.html", email=email,
                                   outbox=not current_app.config.get("SMTP_URL"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/register.html", form=form, invitation=None), status, headers


def _register_invited(token):
    """The register page of an invitation's link: the account is made at once (the link
    proved the address) and signed in."""
    g.no_store = True
    invitation = registration.invitation_for(token)
    if invitation is None:
        return _link_invalid(_("Ask the person who invited you for a new invitation."),
                             url_for("main.index"))
    form = InvitedRegisterForm(invitation=token)
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            started = registration.register_with_invitation_and_sign_in(
                token, form.username.data, form.password.data, form.display_name.data,
                locale=select_locale(), ip=client_ip(), user_agent=request.user_agent.string)
        except ServiceError as error:
            if error.status == 404:
                return _link_invalid(_("Ask the person who invited you for a new "
                                       "invitation."), url_for("main.index"))
            apply_errors(form, error)
            status, headers = error.status, error_headers(error)
        else:
            user = started.record.user
            begin_login_session(user, started)
            flash(_("Welcome to %(site)s, %(name)s!", site=site_name(), name=user.name),
                  "success")
            response = redirect(url_for("main.index"))
            remember_device(response, started.device)
            return response
    elif request.method == "POST":
        status = 400
    return render_template("auth/register.html", form=form, invitation=invitation), status, \
        headers


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def confirm_registration(token):
    """GET shows what the link creates and a button (mail scanners only GET); POST creates
    the account and signs the person in."""
    g.no_store = True
    pending = registration.pending_registration(token)
    if pending is None:
        return _link_invalid(_("Register again to get a new link."), url_for("auth.register"))
    form = ConfirmForm()
    if request.method == "POST":
        check_form(form)
        try:
            started = registration.confirm_registration_and_sign_in(
                token, ip=client_ip(), user_agent=request.user_agent.string,
                previous_session=session.get("sid"))
        except ServiceError as error:
            return render_template("auth/confirm_registration.html", form=form, pending=None,
                                   error=error.message), error.status
        user = started.record.user
        begin_login_session(user, started)
        flash(_("Welcome to Tacit, %(name)s!", name=user.name), "success")
        response = redirect(url_for("main.index"))
        remember_device(response, started.device)
        return response
    return render_template("auth/confirm_registration.html", form=form, pending=pending,
                           error=None)


def _link_invalid(advice: str, again_url: str):
    """The page of a link that was used, expired or never existed (404)."""
    return render_template("auth/link_invalid.html", advice=advice, again_url=again_url), 404


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = request.values.get("next")
    if current_user.is_authenticated:
        return redirect(safe_next(target, url_for("main.index")))
    form = LoginForm(next=target)
    status = 200
    if form.validate_on_submit():
        try:
            started = accounts.login(
                form.login.data,
                form.password.data,
                ip=client_ip(),
                user_agent=request.user_agent.string,
                device=request.cookies.get(current_app.config["KNOWN_DEVICE_COOKIE"]),
            )
        except ServiceError as error:
            flash(error.message, "error")
            status = error.status
            headers = {"Retry-After": str(error.retry_after)} if error.status == 429 else {}
            # Guessing from many addresses holds this account: its owner may have a link
            # mailed that makes this browser a known device.
            link_form = (SignInLinkForm(formdata=None, login=form.login.data)
                         if isinstance(error, AccountLocked) else None)
            return render_template("auth/login.html", form=form,
                                   link_form=link_form), status, headers
        begin_login_session(started.record.user, started)
        response = redirect(safe_next(form.next.data, url_for("main.index")))
        remember_device(response, started.device)
        return response
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/login/email-link", methods=["GET", "POST"])
def request_sign_in_link():
    """Ask for a link that makes this browser a known device of an account; the same answer
    whether or not the account exists or has a confirmed address."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignInLinkForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            registration.request_sign_in_link(form.login.data, ip=client_ip())
        except ServiceError as error:
            apply_errors(form, error)
            status, headers = error.status, error_headers(error)
        else:
            flash(_("If this account has a confirmed email address, we have sent it a link to "
                    "sign in from this browser. The link works once, for %(minutes)d minutes.",
                    minutes=current_app.config["SIGN_IN_LINK_MINUTES"]), "info")
            return redirect(url_for("auth.login"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/sign_in_link_request.html", form=form), status, headers


@bp.route("/login/link/<token>", methods=["GET", "POST"])
def sign_in_link(token):
    """GET shows a button (mail scanners only GET); POST spends the link and makes this
    browser a known device of its account: the password is still needed."""
    g.no_store = True
    if not registration.email_link_is_live(token, "sign_in"):
        return _link_invalid(_("Ask for a new link from the login page."),
                             url_for("auth.request_sign_in_link"))
    form = ConfirmForm()
    if request.method == "POST":
        check_form(form)
        device = registration.use_sign_in_link(token)
        flash(_("This browser is now known: sign in with your password."), "success")
        response = redirect(url_for("auth.login"))
        remember_device(response, device)
        return response
    return render_template("auth/sign_in_link.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    form = LogoutForm()
    if not form.validate_on_submit():
        abort(400)
    accounts.end_session(session.get("sid"))
    clear_session()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/account", methods=["GET"])
@login_required
def account():
    g.no_store = True
    user = current_user._get_current_object()
    return render_template(
        "auth/account.html",
        profile_form=ProfileForm(locale=current_user.locale or select_locale()),
        password_form=PasswordForm(),
        new_member_until=trust.new_member_until(user) if trust.is_new_member(user) else None,
    )


@bp.route("/account/export", methods=["GET"])
@login_required
def export_my_data():
    """The signed-in person's own data as a JSON download (forum.services.exports)."""
    user = current_user._get_current_object()
    data = exports.personal_export(user)
    response = Response(exports.dump(data), mimetype="application/json")
    filename = f"tacit-{user.username}-{utcnow().date().isoformat()}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/account/confirm-email", methods=["POST"])
@login_required
def request_email_confirmation():
    check_form(ConfirmForm())
    try:
        email = registration.request_email_confirmation(current_user._get_current_object())
    except ServiceError as error:
        flash(error.message, "error")
        return account(), error.status, error_headers(error)
    flash(_("We sent a link to %(email)s: open it within %(hours)d hours to confirm your "
            "address.", email=email, hours=current_app.config["EMAIL_CONFIRM_HOURS"]), "info")
    return redirect(url_for("auth.account"))


@bp.route("/account/confirm-email/<token>", methods=["GET", "POST"])
def confirm_email(token):
    """GET shows a button (mail scanners only GET); POST confirms the address the link was
    sent to, signed in or not."""
    g.no_store = True
    if not registration.email_link_is_live(token, "confirm_email"):
        again = url_for("auth.account") if current_user.is_authenticated else url_for(
            "auth.login", next=url_for("auth.account"))
        return _link_invalid(_("Ask for a new link on your account page."), again)
    form = ConfirmForm()
    if request.method == "POST":
        check_form(form)
        registration.confirm_email(token, actor=me())
        flash(_("Your email address is confirmed."), "success")
        return redirect(url_for("auth.account") if current_user.is_authenticated
                        else url_for("auth.login"))
    return render_template("auth/confirm_email.html", form=form)


@bp.route("/account/profile", methods=["POST"])
@login_required
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return render_template("auth/account.html", profile_form=form,
                               password_form=PasswordForm()), 400
    try:
        profiles.update_profile(current_user, current_user, locale=form.locale.data)
    except ServiceError as error:
        apply_errors(form, error)
        return render_template("auth/account.html", profile_form=form,
                               password_form=PasswordForm()), error.status
    flash(_("Your settings are saved."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    form = PasswordForm()
    profile_form = ProfileForm(locale=current_user.locale or select_locale())
    if not form.validate_on_submit():
        return render_template("auth/account.html", profile_form=profile_form,
                               password_form=form), 400
    user = current_user._get_current_object()
    try:
        accounts.change_password(user, form.current_password.data, form.new_password.data)
    except ServiceError as error:
        apply_errors(form, error)
        return render_template("auth/account.html", profile_form=profile_form,
                               password_form=form), error.status
    # Every session of this account ended; this browser continues in a fresh one.
    started = accounts.start_session(user, ip=client_ip(), user_agent=request.user_agent.string)
    begin_login_session(user, started)
    flash(_("Your password is changed. Other devices have been logged out."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.delete_account(current_user._get_current_object(), form.password.data)
        except ServiceError as error:
            apply_errors(form, error)
            status = error.status
        else:
            clear_session()
            flash(_("Your account is deleted. What you wrote stays, shown as by a deleted user."),
                  "info")
            return redirect(url_for("main.index"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/delete.html", form=form), status


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.request_password_reset(form.email.data, ip=client_ip())
        except ServiceError as error:
            apply_errors(form, error)
            status = error.status
        else:
            # The same answer whether or not the address has an account.
            flash(" ".join((_("If an account uses this address, we have sent it a link to "
                              "choose a new password. The link works for one hour."),
                            accounts.reset_mail_quota())), "info")
            return redirect(url_for("auth.login"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    g.no_store = True
    if not accounts.check_reset_token(token):
        return render_template("auth/reset_invalid.html"), 404
    form = ResetForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.new_password.data)
        except ServiceError as error:
            apply_errors(form, error)
            status = error.status
        else:
            clear_session()
            flash(_("Your password is changed. Log in with the new one."), "success")
            return redirect(url_for("auth.login"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/reset.html", form=form, token=token), status


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    target = safe_next(form.next.data, url_for("main.index"))
    if not form.validate_on_submit():
        abort(400)
    session["lang"] = form.lang.data
    if current_user.is_authenticated:
        profiles.update_profile(current_user, current_user, locale=form.lang.data)
    return redirect(target)

