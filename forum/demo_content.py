"""The demo community as plain data: users, regional groups, questions with their threads.

forum/demo.py writes it through the services. Conventions of QUESTIONS:

- `days_ago`: when the question was asked; answers and replies follow it, in the order
  written here, spread over the time between then and now.
- `lang`: of the question; answers and replies use it unless they say otherwise.
- `votes` / `down`: how many other people (never the author; only members in a private
  group) vote the question or the answer up / down; the voters are picked deterministically.
- `accepted`: the asker accepts this answer.
"""

DEMO_PASSWORD = "tacit-demo-2026"
# The advertisement the demo's moderators hid (DEMO_MODERATION).
SPAM_TITLE = "Cheap implants and injectables wholesale, delivery in 48 hours"

# (username, display name, email, role, locale, region, country, organization)
DEMO_USERS = [
    ("admin", "Tacit Admin", "admin@demo.tacit", "admin", "en", "", "", "Tacit"),
    ("moderator", "Grace Wanjiru", "grace@demo.tacit", "moderator", "en", "East Africa",
     "Kenya", "Nairobi County Health"),
    ("amina", "Dr Amina Diallo", "amina@demo.tacit", "member", "fr", "West Africa", "Senegal",
     "Direction de la Santé de la Reproduction"),
    ("rahul", "Rahul Mehta", "rahul@demo.tacit", "member", "en", "Asia", "India",
     "State Family Welfare Training Centre"),
    ("achieng", "Achieng Odhiambo", "achieng@demo.tacit", "member", "en", "East Africa",
     "Uganda", "Reproductive Health Uganda"),
    ("kofi", "Kofi Mensah", "kofi@demo.tacit", "member", "en", "West Africa", "Ghana",
     "Ghana Health Service"),
    ("awa", "Awa Traoré", "awa@demo.tacit", "member", "fr", "West Africa", "Mali",
     "ASDAP Bamako"),
    ("mariam", "Mariam Ouédraogo", "mariam@demo.tacit", "member", "fr", "West Africa",
     "Burkina Faso", "District sanitaire de Koudougou"),
    ("siti", "Siti Rahmawati", "siti@demo.tacit", "member", "en", "Asia", "Indonesia",
     "Puskesmas Sleman"),
    ("nguyen", "Nguyễn Thị Lan", "lan@demo.tacit", "member", "en", "Asia", "Vietnam",
     "Hanoi Provincial Health Department"),
    ("joseph", "Joseph Mwangi", "joseph@demo.tacit", "member", "en", "East Africa", "Tanzania",
     "Mwanza Regional Hospital"),
    ("fatou", "Fatou Ndiaye", "fatou@demo.tacit", "member", "fr", "West Africa", "Senegal",
     "Poste de santé de Thiès"),
    ("otieno", "Daniel Otieno", "otieno@demo.tacit", "member", "en", "East Africa", "Kenya",
     "Kenya Medical Supplies Authority"),
    ("nasrin", "Dr Nasrin Akter", "nasrin@demo.tacit", "member", "en", "Asia", "Bangladesh",
     "icddr,b Reproductive Health Research"),
    # An advertiser: flagged, hidden and suspended by the moderators (DEMO_MODERATION).
    ("pharmadeals", "Pharma Deals", "deals@demo.tacit", "member", "en", "", "", ""),
]

# Profiles beyond the account: job title, languages spoken (codes), areas of expertise
# (tags of the demo questions), and the verified-expert badge with the moderator's note.
DEMO_PROFILES = {
    "amina": {"title": "Midwife trainer", "languages": ["fr", "wo", "en"],
              "expertise": ["dmpa-sc", "implants", "formation", "counselling", "ppfp"],
              "verified": "Trains midwives for the national DMPA-SC scale-up; references "
                          "checked with the Direction de la Santé de la Reproduction."},
    "rahul": {"title": "Clinical training coordinator", "languages": ["en", "hi", "mr"],
              "expertise": ["iud", "ppfp", "training", "counselling", "competency"],
              "verified": "Runs the state's IUD and PPIUCD trainer-of-trainers course."},
    "achieng": {"title": "Youth programme manager", "languages": ["en", "sw", "luo"],
                "expertise": ["adolescents", "youth-friendly-services", "dmpa-sc", "training"],
                "verified": "Eight years leading youth-friendly services in Uganda."},
    "otieno": {"title": "Supply-chain adviser", "languages": ["en", "sw"],
               "expertise": ["supply-chain", "stock-outs", "implants", "logistique"],
               "verified": "Forecasting lead for FP commodities at KEMSA."},
    "nasrin": {"title": "Research scientist", "languages": ["bn", "en"],
               "expertise": ["data-quality", "hmis", "method-mix", "postpartum"],
               "verified": "Published on postpartum FP and method mix in Bangladesh."},
    "moderator": {"title": "County RH coordinator", "languages": ["en", "sw"],
                  "expertise": ["hmis", "supervision"]},
    "kofi": {"title": "District public health nurse", "languages": ["en", "ak", "ee"],
             "expertise": ["implants"]},
    "awa": {"title": "Sage-femme", "languages": ["fr", "bm"]},
    "mariam": {"title": "Infirmière chef de poste", "languages": ["fr", "mos"]},
    "siti": {"title": "Midwife", "languages": ["id", "en"]},
    "nguyen": {"title": "Programme officer", "languages": ["vi", "en"]},
    "joseph": {"title": "Nursing officer", "languages": ["en", "sw"]},
    "fatou": {"title": "Infirmière", "languages": ["fr", "wo"]},
}

GROUPS = [
    {
        "slug": "east-africa",
        "name": "East Africa",
        "name_fr": "Afrique de l'Est",
        "region": "East Africa",
        "private": False,
        "description": (
            "Practitioners in Kenya, Uganda, Tanzania, Rwanda, Ethiopia and neighbours: "
            "programme managers, nurses and midwives, CHV supervisors.\n\n"
            "Good topics: commodity security, community distribution, youth-friendly "
            "services, HMIS reporting."
        ),
        "description_fr": (
            "Praticiens du Kenya, de l'Ouganda, de la Tanzanie, du Rwanda, de l'Éthiopie et "
            "des pays voisins : gestionnaires de programme, infirmières et sages-femmes, "
            "superviseurs des agents de santé communautaire.\n\n"
            "Sujets bienvenus : sécurisation des produits, distribution communautaire, "
            "services adaptés aux jeunes, rapports du SNIS."
        ),
    },
    {
        "slug": "west-africa",
        "name": "West Africa francophone",
        "name_fr": "Afrique de l'Ouest francophone",
        "region": "West Africa",
        "private": False,
        "description": (
            "French-speaking West Africa: Senegal, Mali, Burkina Faso, Côte d'Ivoire, Niger, "
            "Guinea… Most members write in French; English is welcome too.\n\n"
            "Frequent topics: DMPA-SC and self-injection, last-mile logistics, community "
            "relays, data quality."
        ),
        "description_fr": (
            "Afrique de l'Ouest francophone : Sénégal, Mali, Burkina Faso, Côte d'Ivoire, "
            "Niger, Guinée… La plupart des membres écrivent en français ; l'anglais est "
            "bienvenu aussi.\n\n"
            "Sujets fréquents : DMPA-SC et auto-injection, logistique du dernier kilomètre, "
            "relais communautaires, qualité des données."
        ),
    },
    {
        "slug": "west-africa-anglophone",
        "name": "West Africa anglophone",
        "name_fr": "Afrique de l'Ouest anglophone",
        "region": "West Africa",
        "private": False,
        "description": (
            "English-speaking West Africa: Ghana, Nigeria, Liberia, Sierra Leone, the Gambia. "
            "CHPS compounds, community health officers, commodity logistics."
        ),
        "description_fr": (
            "Afrique de l'Ouest anglophone : Ghana, Nigeria, Liberia, Sierra Leone, Gambie. "
            "Postes CHPS, agents de santé communautaire, logistique des produits."
        ),
    },
    {
        "slug": "south-asia",
        "name": "South Asia",
        "name_fr": "Asie du Sud",
        "region": "Asia",
        "private": False,
        "description": (
            "India, Bangladesh, Nepal, Pakistan, Sri Lanka: PPIUCD and postpartum family "
            "planning, ASHA and community workers, the public-sector method basket."
        ),
        "description_fr": (
            "Inde, Bangladesh, Népal, Pakistan, Sri Lanka : DIU du post-partum et "
            "planification familiale après l'accouchement, ASHA et agents communautaires, "
            "gamme de méthodes du secteur public."
        ),
    },
    {
        "slug": "southeast-asia",
        "name": "Southeast Asia",
        "name_fr": "Asie du Sud-Est",
        "region": "Asia",
        "private": False,
        "description": (
            "Indonesia, Vietnam, the Philippines, Myanmar, Cambodia, Laos: Puskesmas and "
            "commune health stations, posyandu cadres, adolescent services."
        ),
        "description_fr": (
            "Indonésie, Viêt Nam, Philippines, Myanmar, Cambodge, Laos : Puskesmas et "
            "postes de santé communaux, relais posyandu, services pour adolescents."
        ),
    },
    {
        "slug": "trainers-circle",
        "name": "Trainers' circle",
        "name_fr": "Cercle des formateurs",
        "region": "All regions",
        "private": True,
        "description": (
            "A closed group for clinical trainers and supervisors to share curricula, "
            "checklists and honest lessons from courses that did not go well. "
            "Ask to join from its link; its moderators decide."
        ),
        "description_fr": (
            "Un groupe fermé où formateurs cliniques et superviseurs partagent programmes, "
            "grilles et leçons franches tirées des formations qui se sont mal passées. "
            "Demandez à le rejoindre depuis son lien ; ses modérateurs décident."
        ),
    },
]

# Group moderators, appointed by the admin (each a member of the group).
GROUP_MODERATORS = {
    "trainers-circle": ["achieng"],
    "west-africa": ["amina"],
}

# Pending requests to join private groups: (username, group slug, message).
JOIN_REQUESTS = [
    ("siti", "trainers-circle",
     "I train posyandu cadres on pill and injectable counselling in Sleman."),
]

# Groups each demo user joins (their region's group first). Private groups take members
# through add_member; public ones through join_group, as a user would.
MEMBERSHIPS = {
    "moderator": ["east-africa", "trainers-circle"],
    "amina": ["west-africa", "trainers-circle", "west-africa-anglophone"],
    "rahul": ["south-asia", "southeast-asia", "trainers-circle"],
    "achieng": ["east-africa", "trainers-circle"],
    "kofi": ["west-africa-anglophone", "trainers-circle"],
    "awa": ["west-africa"],
    "mariam": ["west-africa"],
    "siti": ["southeast-asia", "south-asia"],
    "nguyen": ["southeast-asia"],
    "joseph": ["east-africa", "west-africa-anglophone"],
    "fatou": ["west-africa"],
    "otieno": ["east-africa", "west-africa-anglophone"],
    "nasrin": ["south-asia", "southeast-asia"],
    "pharmadeals": ["east-africa"],
}

QUESTIONS = [
    # -- East Africa ------------------------------------------------------------------------
    {
        "group": "east-africa",
        "author": "joseph",
        "lang": "en",
        "days_ago": 33,
        "title": "Implant stock-outs at rural dispensaries every quarter: how do you forecast?",
        "tags": ["implants", "stock-outs", "supply-chain", "forecasting"],
        "votes": 5,
        "body": """\
Our district has 14 dispensaries. Almost every quarter, 4 or 5 of them run out of
implants (Jadelle and Implanon NXT) for two to six weeks, while the district store
still shows stock.

What we do now:

- Dispensaries send a monthly report and requisition to the district pharmacist.
- The district orders from the zonal store once a quarter.
- Quantities are based on the **last quarter's consumption**.

The problem is that consumption drops *because* of the stock-out, so the next order is
smaller, and the cycle repeats. Outreach days also cause spikes we never plan for.

How do other districts forecast implants for small facilities? Do you adjust for
stock-out days, or keep a minimum stock whatever the consumption says?""",
        "answers": [
            {
                "author": "achieng",
                "votes": 6,
                "accepted": True,
                "body": """\
You have described the classic trap: forecasting from *issues* instead of *demand*.
What worked for us in two districts in northern Uganda:

1. **Adjust consumption for stock-out days.** If a facility was out for 20 of 90 days,
   divide the quarter's consumption by 70 and multiply by 90.
2. **Set a floor.** No dispensary gets less than a minimum stock (for us, 10 implants
   of each type), whatever last quarter shows.
3. **Plan outreach separately.** Outreach days get their own allocation, requested two
   weeks ahead, not taken from the facility's shelf.
4. **Look at stock on hand every month**, not only at the quarterly order. A simple
   WhatsApp photo of the bin card works.

Within two quarters our stock-outs went from five facilities to one.""",
                "replies": [
                    {
                        "author": "joseph",
                        "body": "The adjustment for stock-out days is so simple. Did the "
                                "district pharmacist accept changing the formula, or did "
                                "you need a letter from the region?",
                        "replies": [
                            {
                                "author": "achieng",
                                "body": "We presented it as a correction to the existing "
                                        "formula, not a new one. The pharmacist liked "
                                        "that the numbers came from his own bin cards.",
                                "replies": [
                                    {
                                        "author": "joseph",
                                        "body": "Good framing. I will try it at our "
                                                "review meeting next month and report "
                                                "back here.",
                                    },
                                ],
                            },
                        ],
                    },
                ],
            },
            {
                "author": "moderator",
                "votes": 3,
                "body": """\
In Kenya we moved small facilities to a **pull system with a fixed review date**:
each facility orders on the same day every month, even if the quantity is small.

Missing the date triggers a phone call from the sub-county pharmacist. It is
monthly work, but it catches the slow slide into a stock-out early.""",
            },
        ],
    },
    {
        "group": "east-africa",
        "author": "achieng",
        "lang": "en",
        "days_ago": 29,
        "title": "Training village health teams in DMPA-SC self-injection: how long should it be?",
        "tags": ["dmpa-sc", "self-injection", "community-health-workers", "training"],
        "votes": 4,
        "body": """\
We are about to train VHTs in two districts to teach clients **DMPA-SC
self-injection**. The national curriculum suggests three days; our budget covers two.

What I would like to know from people who have done this:

- How long was your training, and what did you cut?
- How many supervised practice injections (on models) before a VHT trains clients?
- How do you check that a client can self-inject correctly before giving her
  units to take home?

Any tools (checklists, client reminder calendars) are welcome.""",
        "answers": [
            {
                "author": "moderator",
                "votes": 4,
                "accepted": True,
                "body": """\
Two days can work if the second day is **mostly practice**. Ours looked like this:

- Day 1 morning: method, eligibility (MEC wheel), side effects, reinjection window.
- Day 1 afternoon: demonstration, then each participant injects the model at least
  **five times**, watched by a trainer with the checklist.
- Day 2: role plays of teaching a client, the reminder calendar, disposal of
  used units, reporting.

For clients, we used *teach-back*: she explains the steps and then injects herself
while the VHT watches. Only then does she take units home.""",
                "replies": [
                    {
                        "author": "achieng",
                        "body": "Five supervised injections per participant: with 25 "
                                "participants, how many models did you have?",
                        "replies": [
                            {
                                "author": "moderator",
                                "body": "Six models, so groups of four. Bring spare "
                                        "model skins: they wear out by day two.",
                                "replies": [
                                    {
                                        "author": "joseph",
                                        "body": "We used oranges when the models ran "
                                                "out. Not perfect, but fine for "
                                                "practising the pinch and the angle.",
                                        "replies": [
                                            {
                                                "author": "achieng",
                                                "body": "Oranges it is for the "
                                                        "refresher days. Thank you both.",
                                            },
                                        ],
                                    },
                                ],
                            },
                        ],
                    },
                ],
            },
            {
                "author": "joseph",
                "votes": 2,
                "body": """\
Do not cut the session on **reinjection timing**. In our pilot, most client errors
were about *when* to inject (13 weeks, with the grace period), not *how*.

We gave every client a paper calendar with the next three dates circled.""",
            },
            {
                "author": "rahul",
                "votes": 1,
                "body": """\
From India (where we trained ANMs, not community workers): budget a **follow-up
visit three months later** for each trainee. Skills drop fast when a worker has
only one or two self-injection clients a month.""",
            },
        ],
    },
    {
        "group": "east-africa",
        "author": "moderator",
        "lang": "en",
        "days_ago": 26,
        "title": "Youth-friendly services: Saturday clinic or after-school hours?",
        "tags": ["youth-friendly-services", "adolescents", "clinic-hours"],
        "votes": 3,
        "body": """\
Our county health centres offer youth-friendly services on weekdays 8 to 5, and
almost no one under 20 comes. Young people tell us they are in school or working,
and they fear meeting a neighbour in the waiting room.

We can fund **one** extra session a week per facility. Options:

1. Saturday morning, 9 to 1.
2. Two weekday evenings, 4 to 6 pm.

Has anyone compared the two? What made the difference in attendance?""",
        "answers": [
            {
                "author": "achieng",
                "votes": 3,
                "accepted": True,
                "body": """\
We tried both in Gulu. **Saturday won**, but only after two changes:

- A separate entrance (the back door of the maternity wing), so no one sees them
  queueing.
- A peer educator at the door who knows the young people by name.

Evening sessions had better attendance from young working women, so some facilities
kept one evening as well. Ask the youth committee; they chose better than we did.""",
            },
            {
                "author": "joseph",
                "votes": 1,
                "body": "Whatever you choose, keep the same provider every week. "
                        "Young clients come back for a person, not for a time slot.",
            },
        ],
    },
    {
        "group": "east-africa",
        "author": "joseph",
        "lang": "en",
        "days_ago": 24,
        "title": "Postpartum IUD uptake fell after we moved counselling to the labour ward",
        "tags": ["ppfp", "iud", "counselling", "postpartum"],
        "votes": 4,
        "body": """\
Last year we counselled women about postpartum IUD during **antenatal visits**.
Uptake was about 12% of deliveries. This year, to save ANC time, counselling
moved to early labour. Uptake fell to 4%.

My guess is that women in labour cannot take a decision like this. But the ANC
nurses say they have no time for it.

- Where do you counsel for PPIUD, and who does it?
- Is a short message at ANC plus consent confirmation at admission enough?""",
        "answers": [
            {
                "author": "achieng",
                "votes": 4,
                "accepted": True,
                "body": """\
Your guess is right: **decision at ANC, confirmation at admission**. In labour, you
only check that she has not changed her mind.

What made it fit into busy ANC clinics for us:

- Group talks in the waiting area (15 minutes, by a midwife or a trained peer).
- A one-line note on the ANC card: *"PPIUD: yes / no / undecided"*.
- At admission, the midwife reads the card and confirms.

Uptake came back to around 10% within six months.""",
                "replies": [
                    {
                        "author": "joseph",
                        "body": "The note on the ANC card is a great idea: the labour "
                                "ward never knows what was discussed at ANC.",
                    },
                ],
            },
            {
                "author": "rahul",
                "votes": 3,
                "body": """\
We saw exactly this in Indian district hospitals when PPIUCD counselling moved to
labour rooms. Refusals rose and so did removals at six weeks. Dedicated **RMNCH+A
counsellors** at ANC and in the postnatal ward fixed most of it.""",
            },
            {
                "author": "moderator",
                "votes": 1,
                "body": "Also check that the providers who can insert are on duty at "
                        "night. Many of our missed insertions were night deliveries.",
            },
        ],
    },
    {
        "group": "east-africa",
        "author": "achieng",
        "lang": "en",
        "days_ago": 21,
        "title": "Counselling on bleeding changes with implants: what do you actually say?",
        "tags": ["implants", "side-effects", "counselling", "continuation"],
        "votes": 5,
        "body": """\
A third of our implant removals in the first year are for **irregular bleeding**.
Providers tell me they "mention side effects", but clients say nobody warned them.

I would like to collect the words people use. What do you say, in the local
language or in English, so that a client *remembers* it when the bleeding starts?""",
        "answers": [
            {
                "author": "moderator",
                "votes": 5,
                "body": """\
Our script, in plain words:

> "Your bleeding will probably change. It may come more often, less often, last
> longer, or stop. All of these are normal and not harmful. If it bothers you,
> come back: we can help, and you can always remove it."

Then ask her to say it back in her own words. The last sentence matters most:
clients who know they can come back for help come back *before* removal.""",
            },
            {
                "author": "joseph",
                "votes": 2,
                "body": "We show a simple bleeding calendar with four patterns drawn "
                        "on it. Clients point at one and say \"this one I can live "
                        "with\", which opens the real conversation.",
            },
        ],
    },
    {
        "group": "east-africa",
        "author": "joseph",
        "lang": "en",
        "days_ago": 18,
        "title": "HMIS family planning register: new and continuing users double counted",
        "tags": ["hmis", "data-quality", "registers", "dhis2"],
        "votes": 3,
        "body": """\
During a data quality audit, we found that clients who change method (for example
from pills to an implant) are recorded as **new users** in the register, and
again in the monthly summary. Our "new users" figure is inflated by roughly 20%.

How do you train staff to classify:

- a client switching methods,
- a client returning after a year without contraception,
- a client who moves from another facility?

Is there a one-page job aid someone could share?""",
        "answers": [
            {
                "author": "moderator",
                "votes": 3,
                "accepted": True,
                "body": """\
The national definitions we use:

- **New acceptor**: first time ever using a modern method, at any facility.
- **Switching method**: *continuing user*, with the new method recorded.
- **Returning after a gap**: continuing user (some programmes call it "restarter").
- **Transfer in**: continuing user, with a note of the previous facility.

We printed these four lines on a card stuck inside the register cover. The audit
error rate halved in one quarter.""",
                "replies": [
                    {
                        "author": "joseph",
                        "body": "Does DHIS2 in Kenya have a separate field for "
                                "restarters, or do they go with continuing users?",
                        "replies": [
                            {
                                "author": "moderator",
                                "body": "With continuing users. We track restarters "
                                        "only in a facility tally sheet, for our own "
                                        "follow-up.",
                            },
                        ],
                    },
                ],
            },
            {
                "author": "achieng",
                "votes": 2,
                "body": "Also compare the register with the monthly summary "
                        "**before** it is sent. A ten-minute check by the facility "
                        "in-charge catches most transcription errors.",
            },
        ],
    },
    {
        "group": "east-africa",
        "author": "moderator",
        "lang": "en",
        "days_ago": 15,
        "title": "Reaching men through boda-boda riders' associations",
        "tags": ["male-involvement", "demand-generation", "community"],
        "votes": 2,
        "body": """\
In several sub-counties, the boda-boda (motorbike taxi) associations meet every
week. A chairman offered us 20 minutes at their meetings.

Has anyone run family planning sessions with transport workers? What messages
worked with young men, and who delivered them: a health worker, or one of their own?""",
        "answers": [
            {
                "author": "achieng",
                "votes": 2,
                "body": """\
Yes, in Lira. Lessons:

- A **male peer** (a rider trained as a volunteer) did much better than our nurses.
- Start with what they care about: school fees, the cost of another child, their
  partner's health. Not with methods.
- Bring condoms *and* leave information about vasectomy: two riders asked about it
  at the second meeting.""",
            },
        ],
    },
    {
        "group": "east-africa",
        "author": "joseph",
        "lang": "en",
        "days_ago": 11,
        "title": "Emergency contraception: pharmacies stocked, health facilities empty",
        "tags": ["emergency-contraception", "pharmacies", "stock-outs"],
        "votes": 2,
        "body": """\
In Mwanza town, private pharmacies always have levonorgestrel 1.5 mg, but most
public facilities have had none since last year: it is not on their regular
order list.

Clients who cannot pay the pharmacy price simply go without. Has any region added
emergency contraception to the essential order list of dispensaries, and how?""",
    },
    {
        "group": "east-africa",
        "author": "achieng",
        "lang": "en",
        "days_ago": 8,
        "title": "SMS reminders for DMPA reinjection: opt-in and privacy",
        "tags": ["sms", "client-follow-up", "dmpa-sc", "privacy"],
        "votes": 4,
        "body": """\
We want to send SMS reminders one week before each reinjection date. My worry is
privacy: many women share a phone with their husband or family.

- How did you get consent, and how did you record it?
- What did the message say? Did you mention contraception at all?
- Did reminders actually improve on-time reinjection?""",
        "answers": [
            {
                "author": "moderator",
                "votes": 3,
                "accepted": True,
                "body": """\
We ask at the visit: *"Can we send you a reminder? Is this phone only yours?"*
and tick a box in the register. Shared phones get a neutral message:

> "Hello from Kisumu Health Centre. Your appointment is on 12 March."

No method names, ever. In our pilot, on-time reinjection went from 58% to 71%.
Clients who missed anyway mostly had a changed number.""",
                "replies": [
                    {
                        "author": "achieng",
                        "body": "Did you send a second reminder on the day itself?",
                        "replies": [
                            {
                                "author": "moderator",
                                "body": "Only for clients who asked. Two messages "
                                        "felt like too many to some women.",
                            },
                        ],
                    },
                ],
            },
            {
                "author": "siti",
                "votes": 2,
                "body": "In Indonesia many clients preferred WhatsApp to SMS, but "
                        "WhatsApp shows the sender's profile picture: use a neutral "
                        "one, not the clinic logo with a pill!",
            },
        ],
    },
    {
        "group": "east-africa",
        "author": "joseph",
        "lang": "en",
        "days_ago": 5,
        "title": "Task sharing: may enrolled nurses insert implants in Tanzania?",
        "tags": ["task-sharing", "implants", "policy"],
        "votes": 1,
        "body": """\
Several of our dispensaries are staffed only by **enrolled nurses** and clinical
attendants. Clients are referred to the health centre for implants, 20 km away.

Does anyone know the current Tanzanian guidance on enrolled nurses inserting
implants after competency-based training? And how did other countries change
theirs?""",
        "answers": [
            {
                "author": "achieng",
                "votes": 2,
                "body": """\
I do not know the current Tanzanian text, so please check with the RCH section of
the ministry. For comparison: Uganda and Ethiopia allow trained lower-cadre
providers to insert implants, following the WHO task-sharing recommendations
(*Optimizing health worker roles*).

What convinced our ministry was data from a supervised pilot: complication rates
for trained enrolled nurses were no different from clinical officers.""",
            },
        ],
    },
    {
        "group": "east-africa",
        "author": "moderator",
        "lang": "en",
        "days_ago": 2,
        "title": "Implant removal: clients travel far because few providers are trained",
        "tags": ["implant-removal", "access", "training"],
        "votes": 1,
        "body": """\
Insertion training reached many providers in the last five years, but **removal**
was often a short add-on. Now clients whose implant has expired, or who want it out,
are told to go to the county hospital.

How are other counties organising removal services? Removal days? A mobile team?
Refresher training only on removal?""",
    },
    # -- West Africa (mostly French) --------------------------------------------------------
    {
        "group": "west-africa",
        "author": "mariam",
        "lang": "fr",
        "days_ago": 34,
        "title": "Ruptures d'implants en CSPS : comment anticiper la commande trimestrielle ?",
        "tags": ["implants", "ruptures-de-stock", "logistique"],
        "votes": 5,
        "body": """\
Dans notre district, les CSPS commandent les produits PF au dépôt répartiteur tous
les trois mois. Pour les implants, nous avons des ruptures presque à chaque
trimestre, surtout après les **campagnes de gratuité**.

Ce que nous faisons aujourd'hui :

- calcul de la commande sur la consommation moyenne mensuelle (CMM) des trois
  derniers mois ;
- stock de sécurité d'un mois ;
- pas de prise en compte des campagnes.

Comment intégrez-vous les campagnes et les stratégies avancées dans le calcul ?""",
        "answers": [
            {
                "author": "amina",
                "votes": 5,
                "accepted": True,
                "body": """\
Deux corrections simples :

1. **Corriger la CMM** des jours de rupture : si le CSPS a été en rupture 30 jours
   sur 90, calculez la CMM sur 60 jours.
2. **Commander les campagnes à part** : une dotation spécifique, demandée au moins un
   mois avant, qui ne touche pas au stock de routine.

Au Sénégal, le *modèle d'approvisionnement informé* (IPM), où le district livre
directement les points de prestation, a beaucoup réduit ces ruptures.""",
                "replies": [
                    {
                        "author": "mariam",
                        "body": "Merci Docteur. Pour l'IPM, qui paie le transport "
                                "jusqu'aux CSPS ?",
                        "replies": [
                            {
                                "author": "amina",
                                "body": "Au début, les partenaires ; aujourd'hui c'est "
                                        "intégré dans le budget des districts.",
                                "replies": [
                                    {
                                        "author": "fatou",
                                        "body": "Je confirme : à Thiès, le camion "
                                                "passe chaque mois et le prestataire "
                                                "vérifie le stock avec le logisticien.",
                                    },
                                ],
                            },
                        ],
                    },
                ],
            },
            {
                "author": "awa",
                "votes": 2,
                "body": "À Bamako, nous gardons aussi un **stock tampon** au district "
                        "pour dépanner un CSCom en rupture dans les 48 heures.",
            },
            {
                "author": "fatou",
                "votes": 1,
                "body": "Pensez aussi aux implants en fin de péremption : "
                        "redistribuez-les vers les CSPS qui consomment le plus.",
            },
        ],
    },
    {
        "group": "west-africa",
        "author": "awa",
        "lang": "fr",
        "days_ago": 31,
        "title": "Former les relais à l'auto-injection du DMPA-SC : combien de séances ?",
        "tags": ["dmpa-sc", "auto-injection", "relais-communautaires", "formation"],
        "votes": 4,
        "body": """\
Notre ONG va former une quarantaine de relais communautaires de la région de
Ségou pour accompagner les femmes dans l'**auto-injection du DMPA-SC**.

Mes questions :

- Combien de jours de formation avez-vous prévus ?
- Combien d'injections sur mannequin avant de passer aux clientes ?
- Comment assurez-vous le suivi des relais après la formation ?""",
        "answers": [
            {
                "author": "amina",
                "votes": 4,
                "accepted": True,
                "body": """\
Pour des relais, nous faisons **trois jours** :

- jour 1 : la méthode, les critères d'éligibilité, les effets secondaires ;
- jour 2 : pratique sur mannequin (au moins cinq injections chacun, observées avec
  une grille) ;
- jour 3 : jeux de rôle pour apprendre à *enseigner* l'auto-injection à une cliente.

Le suivi : une visite de supervision formative dans le mois qui suit, puis tous
les trois mois avec l'infirmier chef de poste.""",
                "replies": [
                    {
                        "author": "awa",
                        "body": "Les relais peuvent-ils faire la première injection "
                                "eux-mêmes, ou seulement accompagner ?",
                        "replies": [
                            {
                                "author": "amina",
                                "body": "Cela dépend des normes nationales. Au "
                                        "Sénégal, les relais formés peuvent administrer "
                                        "le DMPA-SC ; vérifiez le texte malien.",
                                "replies": [
                                    {
                                        "author": "mariam",
                                        "body": "Au Burkina aussi, depuis la "
                                                "délégation des tâches de 2017, avec "
                                                "supervision.",
                                    },
                                ],
                            },
                        ],
                    },
                ],
            },
            {
                "author": "mariam",
                "votes": 2,
                "body": "Donnez à chaque relais un **calendrier de réinjection** à "
                        "remettre aux clientes : c'est là que la plupart des erreurs "
                        "arrivent.",
            },
        ],
    },
    {
        "group": "west-africa",
        "author": "fatou",
        "lang": "fr",
        "days_ago": 28,
        "title": "Counseling PF du post-partum : à quel moment en parler pendant les CPN ?",
        "tags": ["post-partum", "counseling", "cpn"],
        "votes": 3,
        "body": """\
Au poste de santé, nous faisons le counseling PF post-partum **à la sortie de la
maternité**, mais les femmes sont fatiguées et pressées de rentrer.

Je voudrais commencer pendant les consultations prénatales. À quelle CPN en
parlez-vous, et combien de temps cela prend-il ? Impliquez-vous les maris ?""",
        "answers": [
            {
                "author": "amina",
                "votes": 3,
                "accepted": True,
                "body": """\
La recommandation que nous suivons : **en parler dès la 3e CPN**, puis confirmer à
la 4e et à l'admission.

- À la 3e CPN : causerie de groupe (espacement des naissances, MAMA, DIU du
  post-partum, implants).
- À la 4e CPN : counseling individuel, choix noté sur le carnet.
- À l'admission en salle d'accouchement : simple confirmation.

Les maris viennent rarement aux CPN ; une invitation écrite pour la 4e CPN a
bien marché chez nous.""",
            },
            {
                "author": "awa",
                "votes": 1,
                "body": "N'oubliez pas la **MAMA** (allaitement maternel exclusif) : "
                        "bien expliquée, c'est souvent la porte d'entrée vers une "
                        "autre méthode à six mois.",
            },
        ],
    },
    {
        "group": "west-africa",
        "author": "amina",
        "lang": "fr",
        "days_ago": 27,
        "title": "Effets secondaires du DMPA : aménorrhée et abandons, que dire aux clientes ?",
        "tags": ["dmpa", "effets-secondaires", "continuité", "counseling"],
        "votes": 6,
        "body": """\
Dans plusieurs districts, la première cause d'abandon du DMPA est
l'**aménorrhée**. Les clientes pensent que le sang « reste dans le ventre » ou
qu'elles ne pourront plus avoir d'enfant.

Je prépare un module de counseling pour les sages-femmes. Quelles explications,
images ou comparaisons utilisez-vous, et lesquelles ont le plus rassuré les femmes ?""",
        "answers": [
            {
                "author": "awa",
                "votes": 4,
                "body": """\
Ce qui marche à Bamako : dire **avant** la première injection que les règles
peuvent s'arrêter, et que c'est *attendu*.

Comparaison utilisée par nos sages-femmes : « La piqûre met l'utérus au repos ;
il n'y a rien à faire sortir, car rien ne s'est accumulé. »""",
                "replies": [
                    {
                        "author": "amina",
                        "body": "Très bonne image. Et pour la peur de la stérilité ?",
                        "replies": [
                            {
                                "author": "awa",
                                "body": "Nous parlons de femmes du quartier qui ont "
                                        "eu un enfant après l'arrêt, avec leur "
                                        "accord bien sûr.",
                                "replies": [
                                    {
                                        "author": "mariam",
                                        "body": "Attention à bien dire que le retour "
                                                "de la fécondité peut prendre "
                                                "plusieurs mois après le DMPA, "
                                                "sinon on perd la confiance.",
                                        "replies": [
                                            {
                                                "author": "amina",
                                                "body": "Exactement : dix mois en "
                                                        "moyenne après la dernière "
                                                        "injection, c'est normal.",
                                                "replies": [
                                                    {
                                                        "author": "fatou",
                                                        "body": "Je note, nous le "
                                                                "disions mal à "
                                                                "Thiès.",
                                                    },
                                                ],
                                            },
                                        ],
                                    },
                                ],
                            },
                        ],
                    },
                ],
            },
            {
                "author": "mariam",
                "votes": 3,
                "body": "Nous utilisons un petit calendrier illustré avec les "
                        "différents profils de saignement. Les femmes le montrent "
                        "aussi à leur mari, ce qui aide.",
            },
            {
                "author": "fatou",
                "votes": 1,
                "body": "Proposez toujours un rendez-vous de suivi si les saignements "
                        "inquiètent : beaucoup d'abandons sont des femmes qui n'osaient "
                        "pas revenir.",
            },
        ],
    },
    {
        "group": "west-africa",
        "author": "mariam",
        "lang": "fr",
        "days_ago": 23,
        "title": "Impliquer les hommes : les causeries dans les grins de thé fonctionnent-elles ?",
        "tags": ["implication-des-hommes", "sensibilisation", "communauté"],
        "votes": 3,
        "body": """\
À Koudougou, les hommes se retrouvent chaque soir dans les **grins** pour le thé.
Un agent de santé à base communautaire propose d'y organiser des causeries sur la
planification familiale.

Avez-vous essayé ? Quels sujets abordez-vous en premier, et qui anime : un
homme de la communauté, un agent de santé, un leader religieux ?""",
        "answers": [
            {
                "author": "awa",
                "votes": 3,
                "accepted": True,
                "body": """\
Oui, dans trois quartiers de Bamako. Ce qui a compté :

- un **animateur homme**, connu du grin ;
- commencer par la santé de la mère et des enfants, l'espacement, le coût de la
  vie, jamais directement par les méthodes ;
- inviter une fois un imam favorable à l'espacement des naissances.

Au bout de deux mois, des hommes accompagnaient leur femme au CSCom.""",
            },
            {
                "author": "kofi",
                "lang": "en",
                "votes": 1,
                "body": "Similar experience in northern Ghana with *chop bar* "
                        "gatherings: male volunteers trained as peer educators were "
                        "far more credible than nurses.",
            },
        ],
    },
    {
        "group": "west-africa",
        "author": "awa",
        "lang": "fr",
        "days_ago": 20,
        "title": "Qualité des données SNIS : écarts entre registres PF et rapports mensuels",
        "tags": ["snis", "qualité-des-données", "dhis2", "registres"],
        "votes": 3,
        "body": """\
Lors d'une revue de données, nous avons comparé les registres PF de 10 CSCom avec
les rapports mensuels saisis dans DHIS2. Écarts constatés :

- jusqu'à 30 % de **nouvelles utilisatrices** en trop dans les rapports ;
- les DIU et implants souvent inversés ;
- des mois entiers recopiés du mois précédent.

Comment organisez-vous la vérification avant la saisie ? Avez-vous un outil simple ?""",
        "answers": [
            {
                "author": "amina",
                "votes": 3,
                "accepted": True,
                "body": """\
Nous utilisons une **fiche de pointage mensuelle** : le chef de poste recompte
trois indicateurs (nouvelles utilisatrices, implants posés, DIU posés) dans le
registre avant la signature du rapport.

Au district, un contrôle simple dans DHIS2 : signaler tout rapport identique au
mois précédent. Les validations de DHIS2 font le reste.""",
            },
            {
                "author": "fatou",
                "votes": 2,
                "body": "Formez aussi sur les définitions : chez nous, beaucoup de "
                        "femmes qui changent de méthode étaient notées comme nouvelles "
                        "utilisatrices.",
                "replies": [
                    {
                        "author": "awa",
                        "body": "C'est aussi notre cas. Avez-vous un aide-mémoire ?",
                        "replies": [
                            {
                                "author": "fatou",
                                "body": "Une simple affiche dans la salle PF avec les "
                                        "quatre cas : nouvelle, continue, changement "
                                        "de méthode, reprise.",
                            },
                        ],
                    },
                ],
            },
        ],
    },
    {
        "group": "west-africa",
        "author": "fatou",
        "lang": "fr",
        "days_ago": 17,
        "title": "Contraception d'urgence en pharmacie : des jeunes se font refuser",
        "tags": ["contraception-d-urgence", "jeunes", "pharmacies"],
        "votes": 4,
        "body": """\
Plusieurs jeunes filles nous disent qu'en pharmacie on leur refuse la
**pilule du lendemain**, ou qu'on leur fait la morale devant les autres clients.

Avez-vous travaillé avec les pharmaciens et les vendeurs en officine ? Une
formation courte, une affiche, un accord avec l'ordre des pharmaciens ?""",
        "answers": [
            {
                "author": "amina",
                "votes": 3,
                "body": """\
À Dakar, une demi-journée avec les **vendeurs en officine** (ce sont eux qui
servent, pas le pharmacien) a beaucoup changé les choses :

- rappel : le lévonorgestrel 1,5 mg est sans danger et sans âge minimum ;
- il agit jusqu'à 120 heures, mieux dans les 72 premières ;
- jeu de rôle « une jeune fille vient seule ».

Ensuite, une liste des pharmacies « amies des jeunes » partagée par les pairs
éducateurs.""",
            },
        ],
    },
    {
        "group": "west-africa",
        "author": "mariam",
        "lang": "fr",
        "days_ago": 14,
        "title": "Délégation des tâches : l'accoucheuse auxiliaire peut-elle poser le DIU ?",
        "tags": ["délégation-des-tâches", "diu", "sages-femmes"],
        "votes": 2,
        "body": """\
Dans les CSPS ruraux, il n'y a souvent qu'une accoucheuse auxiliaire et un
infirmier. Les femmes qui veulent un DIU sont référées au CMA.

Quelqu'un connaît-il des expériences de formation des accoucheuses auxiliaires à
l'insertion du DIU, avec des résultats sur la sécurité ?""",
    },
    {
        "group": "west-africa",
        "author": "awa",
        "lang": "fr",
        "days_ago": 12,
        "title": "Espaces jeunes : garder la confidentialité dans un petit village",
        "tags": ["adolescents", "confidentialité", "services-adaptés-aux-jeunes"],
        "votes": 3,
        "body": """\
Dans les villages, tout le monde se connaît. Une adolescente vue à l'espace jeunes
du CSCom est aussitôt « soupçonnée ».

Quelles solutions avez-vous trouvées ? Horaires, activités mélangées (sport,
informatique, orientation scolaire), entrée séparée ?""",
        "answers": [
            {
                "author": "mariam",
                "votes": 2,
                "body": """\
Nous avons mis la PF **au milieu d'autres services** : vaccination, soins des
petites blessures, conseils scolaires. Personne ne sait pourquoi une jeune entre.

Et la prestataire reçoit dans une pièce où l'on ne voit pas la table
d'examen depuis la porte.""",
            },
            {
                "author": "fatou",
                "votes": 2,
                "accepted": True,
                "body": "À Thiès, le club de lecture du samedi sert d'entrée. Les "
                        "paires éducatrices accompagnent celles qui veulent voir la "
                        "sage-femme, discrètement.",
            },
        ],
    },
    {
        "group": "west-africa",
        "author": "amina",
        "lang": "fr",
        "days_ago": 9,
        "title": "Dernier kilomètre : livrer les produits PF à moto pendant l'hivernage",
        "tags": ["dernier-kilomètre", "logistique", "hivernage"],
        "votes": 4,
        "body": """\
Pendant l'hivernage, plusieurs postes de santé de la région de Kolda sont
inaccessibles en camion pendant deux à trois mois.

Nous pensons à une livraison à **moto** depuis le district, avec des caisses
étanches. Qui a essayé ? Combien de postes par tournée, et comment gérer le
carburant et l'entretien ?""",
        "answers": [
            {
                "author": "awa",
                "votes": 2,
                "accepted": True,
                "body": """\
Nous l'avons fait dans le cercle de Kita :

- **une moto pour six à huit postes**, tournée sur deux jours ;
- livraison du trimestre avant les pluies (pré-positionnement), la moto ne fait
  que le complément ;
- un contrat d'entretien avec un garage local, payé au forfait.

Les produits PF sans chaîne du froid (implants, DMPA-SC, pilules) voyagent bien
dans des caisses en plastique fermées.""",
            },
            {
                "author": "kofi",
                "lang": "en",
                "votes": 1,
                "body": "In the Volta region we pre-position three months of stock "
                        "before the rains. It costs storage space but saves most of "
                        "the emergency trips.",
            },
        ],
    },
    {
        "group": "west-africa",
        "author": "fatou",
        "lang": "fr",
        "days_ago": 4,
        "title": "Relance des clientes PF par SMS vocal en wolof : des retours d'expérience ?",
        "tags": ["sms", "relance", "langues-locales"],
        "votes": 2,
        "body": """\
Beaucoup de nos clientes ne lisent pas le français. Nous pensons à des **messages
vocaux en wolof** pour rappeler les rendez-vous de réinjection.

Quelqu'un a-t-il testé ? Quel fournisseur, quel coût par message, et comment
éviter que le message révèle la méthode à l'entourage ?""",
    },
    {
        "group": "west-africa",
        "author": "mariam",
        "lang": "fr",
        "days_ago": 1.5,
        "title": "DMPA-SC sans chaîne du froid : peut-on le stocker à 40 °C dans les CSPS ?",
        "tags": ["dmpa-sc", "stockage", "chaleur"],
        "votes": 2,
        "body": """\
En avril, la température dans certains dépôts de CSPS dépasse 40 °C. On nous dit
que le DMPA-SC n'a pas besoin de chaîne du froid, mais jusqu'à quelle température ?

Faut-il des précautions particulières pour les unités que les clientes emportent
à la maison pour l'auto-injection ?""",
        "answers": [
            {
                "author": "amina",
                "votes": 2,
                "accepted": True,
                "body": """\
Pas de chaîne du froid, mais **pas de chaleur extrême** non plus : vérifiez la
température indiquée sur l'emballage (en général « ne pas dépasser 30 °C ») et les
directives nationales.

En pratique :

- stockez au plus frais du dépôt, loin du toit en tôle ;
- ne mettez jamais au congélateur ;
- conseillez aux clientes de garder les unités dans un endroit frais et sec,
  à l'abri du soleil, hors de portée des enfants.""",
            },
        ],
    },
    {
        "group": "west-africa-anglophone",
        "author": "kofi",
        "lang": "en",
        "days_ago": 30,
        "title": "CHPS compounds: offering implants without a resident midwife",
        "tags": ["chps", "implants", "task-sharing"],
        "votes": 3,
        "body": """\
Many CHPS compounds in our district have a community health nurse but no midwife.
Implant clients are referred to the health centre, and most never go.

Has any district trained CHNs to insert and remove implants? How was the
training organised, and how is supervision done?""",
        "answers": [
            {
                "author": "amina",
                "lang": "en",
                "votes": 2,
                "accepted": True,
                "body": """\
In Senegal, nurses at health posts were trained with a **competency-based
course**: three days of theory and model practice, then supervised insertions on
clients until the trainer signs off (usually five or more).

Supervision: a district trainer visits each new provider within the first month,
then the provider joins quarterly outreach days with an experienced colleague.""",
            },
            {
                "author": "achieng",
                "votes": 1,
                "body": "Plan removal training at the same time. Otherwise you create "
                        "the access problem of the future.",
            },
        ],
    },
    {
        "group": "west-africa-anglophone",
        "author": "kofi",
        "lang": "en",
        "days_ago": 16,
        "title": "Drone delivery of family planning commodities: worth it in the Volta region?",
        "tags": ["last-mile", "drones", "supply-chain"],
        "votes": 2,
        "body": """\
Ghana's medical drone service delivers blood and vaccines to some of our
facilities. The region is asking whether FP commodities should go the same way.

FP products are light but mostly not urgent. Is anyone using drones for
contraceptives, and was it worth the cost compared with monthly motorbike runs?""",
        "answers": [
            {
                "author": "amina",
                "lang": "en",
                "votes": 1,
                "body": """\
For routine FP resupply, a fixed monthly run is usually cheaper. Drones make sense
for **emergency top-ups** (a stock-out discovered mid-month, an outreach day) in
facilities cut off by rivers or rains. I would cost it for those cases only.""",
            },
        ],
    },
    {
        "group": "west-africa-anglophone",
        "author": "kofi",
        "lang": "en",
        "days_ago": 6,
        "title": "Method mix skewed to injectables: a counselling problem or a supply one?",
        "tags": ["method-mix", "counselling", "injectables"],
        "votes": 4,
        "body": """\
In our district, **injectables are 65%** of the method mix; implants 15%, pills 12%,
IUDs under 2%. The regional team says counselling is biased.

How do you tell if a skewed mix comes from provider bias, client preference or
what is actually on the shelf? What data would you look at first?""",
        "answers": [
            {
                "author": "amina",
                "lang": "en",
                "votes": 3,
                "accepted": True,
                "body": """\
Three quick checks, in this order:

1. **Stock**: were implants and IUDs available every day of the year at each
   facility? A skewed mix often follows the shelf.
2. **Skills**: how many providers can insert an IUD? If one per facility, and on
   leave half the time, there is your 2%.
3. **Counselling**: observe ten sessions, or do exit interviews: were clients
   told about all methods?

Only the third is a counselling problem, and it is the most expensive to fix.""",
                "replies": [
                    {
                        "author": "kofi",
                        "body": "Stock data we have. The skills count is a good idea; "
                                "I suspect it is the main issue for IUDs.",
                    },
                ],
            },
            {
                "author": "fatou",
                "lang": "en",
                "votes": 1,
                "body": "Clients' preferences are real too: injectables are discreet. "
                        "A high share is not always a problem if clients chose it.",
            },
            {
                "author": "achieng",
                "votes": 1,
                "body": "Look at discontinuation too: a mix can look fine while many "
                        "injectable users drop out after one dose.",
            },
        ],
    },
    # -- South Asia -------------------------------------------------------------------------
    {
        "group": "south-asia",
        "author": "rahul",
        "lang": "en",
        "days_ago": 32,
        "title": "PPIUCD in district hospitals: high refusal when counselled in the labour room",
        "tags": ["ppiucd", "ppfp", "counselling", "labour-room"],
        "votes": 4,
        "body": """\
In three of our district hospitals, PPIUCD counselling is done by staff nurses in
the labour room. Refusal is high (about 80%) and some acceptors come back for
removal at the six-week visit.

I want to propose moving the decision to ANC. For those who have done it:

- Who counselled at ANC (ANM, counsellor, doctor)?
- How did you pass the decision on to the labour room?""",
        "answers": [
            {
                "author": "achieng",
                "votes": 3,
                "accepted": True,
                "body": """\
We did exactly that in Uganda: **decision at ANC, confirmation at admission**. The
ANC card carries a note of the choice, so the midwife in the labour ward only
confirms.

Removals at six weeks dropped because women had time to talk with their
partners first.""",
                "replies": [
                    {
                        "author": "rahul",
                        "body": "Did you also track expulsions? Our doctors fear "
                                "expulsion more than refusal.",
                        "replies": [
                            {
                                "author": "achieng",
                                "body": "Yes. Expulsions depend on insertion technique "
                                        "(fundal placement, within ten minutes of the "
                                        "placenta), not on where counselling happens.",
                            },
                        ],
                    },
                ],
            },
            {
                "author": "nguyen",
                "votes": 1,
                "body": "In Vietnam, provincial hospitals give a leaflet at the "
                        "third-trimester visit and counsel the couple together when "
                        "possible.",
            },
            {
                "author": "joseph",
                "down": 1,
                "body": "Same pattern in Tanzania; see our thread in the East Africa "
                        "group on postpartum IUD uptake.",
            },
        ],
    },
    {
        "group": "south-asia",
        "author": "rahul",
        "lang": "en",
        "days_ago": 25,
        "title": "ASHA incentives for spacing methods: do they distort counselling?",
        "tags": ["asha", "incentives", "method-mix", "counselling"],
        "votes": 3,
        "body": """\
ASHAs receive incentives for each client who adopts certain spacing methods. Some
supervisors report clients being steered to the method that pays best rather than
the one that suits them.

Has anyone studied this? How do other countries pay community workers for FP
without distorting choice?""",
        "answers": [
            {
                "author": "achieng",
                "votes": 2,
                "body": """\
Uganda moved from per-method payments to a **flat monthly allowance plus
performance on a basket of indicators** (visits, referrals, follow-ups), not per
method. Choice improved, but the total volume dipped at first.""",
            },
            {
                "author": "siti",
                "votes": 1,
                "body": "In Indonesia, kader incentives are mostly per visit, not per "
                        "method. It removes the bias but does not reward quality "
                        "either.",
            },
        ],
    },
    {
        "group": "south-asia",
        "author": "rahul",
        "lang": "en",
        "days_ago": 19,
        "title": "IUD insertion training: how many supervised insertions before certification?",
        "tags": ["iud", "training", "competency"],
        "votes": 5,
        "body": """\
Our state training centre certifies providers for interval IUD insertion after
classroom sessions, model practice, and **five supervised insertions** on clients.
With low caseloads, some trainees wait months for their fifth client.

What do other programmes require? Do you certify on a number, or on a competency
checklist regardless of the number?""",
        "answers": [
            {
                "author": "achieng",
                "votes": 3,
                "accepted": True,
                "body": """\
We moved to **competency, not count**: the trainer scores each supervised insertion
on a checklist, and a trainee is certified after *three consecutive* fully
competent insertions. Some need three, some need eight.

For low caseloads, schedule trainees at high-volume sites (district hospital FP
clinics, outreach camps) for a concentrated practicum week.""",
            },
            {
                "author": "amina",
                "lang": "en",
                "votes": 2,
                "body": "Same in Senegal. We also use a good pelvic model (with a "
                        "visible uterus) for anatomical practice before live clients; "
                        "it shortens the clinical phase.",
            },
            {
                "author": "nguyen",
                "votes": 1,
                "body": "We keep a logbook signed by the supervisor for each "
                        "insertion; it helps when trainees move between hospitals.",
            },
        ],
    },
    {
        "group": "south-asia",
        "author": "joseph",
        "lang": "en",
        "days_ago": 13,
        "title": "Learning from India's Antara programme: injectable MPA in the public sector",
        "tags": ["dmpa", "injectables", "scale-up"],
        "votes": 2,
        "body": """\
I read that India added injectable MPA to the public-sector basket under the name
**Antara**. We are reviewing our own injectable programme in Tanzania.

For colleagues in India: what were the hardest parts of the scale-up, and what
would you do differently?""",
        "answers": [
            {
                "author": "rahul",
                "votes": 3,
                "accepted": True,
                "body": """\
From our state's experience:

- **Counselling on bleeding changes** was the weakest point at the start;
  discontinuation after the first dose was high.
- Tracking reinjection dates needed a **client card** and a follow-up list for
  ANMs, otherwise women were lost.
- Training doctors first and nurses later slowed the roll-out; train both together.

If I did it again, I would invest in follow-up before expanding to more facilities.""",
            },
        ],
    },
    {
        "group": "south-asia",
        "author": "rahul",
        "lang": "en",
        "days_ago": 3,
        "title": "HMIS data quality: sterilisation numbers spike in camp months",
        "tags": ["hmis", "data-quality", "sterilisation"],
        "votes": 2,
        "body": """\
Sterilisations in our HMIS spike in camp months and some blocks report more
procedures than the camp registers show. I suspect double reporting between the
block and the district hospital.

How do you reconcile camp registers with facility reporting? Any simple
cross-checks we could run every month?""",
    },
    # -- Southeast Asia ---------------------------------------------------------------------
    {
        "group": "southeast-asia",
        "author": "siti",
        "lang": "en",
        "days_ago": 30,
        "title": "Implant removal backlog at our Puskesmas after trained midwives transferred",
        "tags": ["implant-removal", "implants", "training"],
        "votes": 3,
        "body": """\
Two of our three midwives trained in implant insertion and removal were
transferred last year. About 60 clients have expired implants and are waiting.

We have asked the district for training. Meanwhile, how do other Puskesmas handle
a backlog like this? Removal days with a visiting provider?""",
        "answers": [
            {
                "author": "rahul",
                "votes": 2,
                "accepted": True,
                "body": """\
A **removal camp** with a visiting trained provider clears a backlog fastest. Call
clients in advance with a date, and pair the visitor with your remaining midwife
so that she gets supervised practice at the same time.

And ask the district to record trained providers per facility, so transfers do
not leave a site without anyone.""",
                "replies": [
                    {
                        "author": "siti",
                        "body": "Pairing is a good idea: we get the backlog cleared and "
                                "one more trained person.",
                    },
                ],
            },
            {
                "author": "nguyen",
                "votes": 1,
                "body": "Tell the waiting clients that an implant past its date is not "
                        "dangerous, but offer a backup method until removal.",
            },
        ],
    },
    {
        "group": "southeast-asia",
        "author": "nguyen",
        "lang": "en",
        "days_ago": 22,
        "title": "Counselling adolescents in school health rooms: what may nurses say?",
        "tags": ["adolescents", "counselling", "school-health"],
        "votes": 3,
        "body": """\
School health nurses in Hanoi are often the first adult a student talks to about
sex and contraception. Many nurses are unsure what they are **allowed** to say, and
whether they must tell the parents.

How have other countries clarified this? Is there guidance or a short training for
school nurses that you found useful?""",
        "answers": [
            {
                "author": "siti",
                "votes": 2,
                "body": """\
In Indonesia the rules vary by district, which is part of the problem. What
helped our school nurses:

- a written **referral path** to the Puskesmas youth service;
- a short session on confidentiality and its limits (abuse must be reported);
- permission from the school head, in writing, to give information.""",
            },
            {
                "author": "rahul",
                "votes": 1,
                "body": "India's RKSK programme trains peer educators and counsellors "
                        "for adolescents; its materials may give you wording to adapt.",
            },
        ],
    },
    {
        "group": "southeast-asia",
        "author": "siti",
        "lang": "en",
        "days_ago": 15,
        "title": "Pill refill reminders by posyandu cadres: WhatsApp or SMS?",
        "tags": ["client-follow-up", "sms", "pills"],
        "votes": 2,
        "body": """\
Our posyandu cadres remind pill users when their refill is due. Some use WhatsApp
groups, some send SMS, some visit.

Which channel works best for follow-up? Are WhatsApp groups acceptable for
privacy, or should reminders always be one to one?""",
        "answers": [
            {
                "author": "nguyen",
                "votes": 2,
                "accepted": True,
                "body": """\
**Always one to one.** A group shows every member who uses pills; we had a
complaint after a mother-in-law saw a group message.

We use Zalo (like WhatsApp) messages one to one, with a neutral text, and a visit
for clients who do not reply within three days.""",
                "replies": [
                    {
                        "author": "siti",
                        "body": "We will stop the groups. Do you keep a list of who "
                                "replied?",
                        "replies": [
                            {
                                "author": "nguyen",
                                "body": "A paper list per cadre, checked at the monthly "
                                        "meeting.",
                            },
                        ],
                    },
                ],
            },
            {
                "author": "achieng",
                "votes": 1,
                "body": "See also the thread on DMPA reinjection reminders in East "
                        "Africa: the same privacy lessons.",
            },
        ],
    },
    {
        "group": "southeast-asia",
        "author": "nguyen",
        "lang": "en",
        "days_ago": 10,
        "title": "Repeated use of emergency contraception: how should pharmacists counsel?",
        "tags": ["emergency-contraception", "counselling", "pharmacies"],
        "votes": 3,
        "body": """\
In Vietnam, emergency contraception is sold over the counter and some young
women use it several times a month as their only method.

Pharmacy staff ask us what to say. It is safe, but regular methods are more
effective. How do you counsel repeated users without discouraging them from
coming back?""",
        "answers": [
            {
                "author": "rahul",
                "votes": 2,
                "body": """\
Start with reassurance: **repeated use is safe**. Then offer, don't lecture:

- "Would you like a method you don't have to think about every time?"
- a referral card to a youth-friendly clinic nearby;
- mention condoms for STI protection.

Pharmacy staff respond well to a one-page script they can keep at the counter.""",
            },
        ],
    },
    {
        "group": "southeast-asia",
        "author": "siti",
        "lang": "en",
        "days_ago": 7,
        "title": "Inviting husbands to antenatal visits to discuss postpartum family planning",
        "tags": ["male-involvement", "anc", "postpartum"],
        "votes": 1,
        "body": """\
We want husbands to attend at least one ANC visit, to talk about postpartum family
planning together. Attendance is very low, mostly because of work hours.

Has anyone tried evening or weekend couple sessions, or written invitations from
the midwife?""",
    },
    {
        "group": "southeast-asia",
        "author": "nguyen",
        "lang": "en",
        "days_ago": 0.5,
        "title": "Stock reporting from commune health stations by phone: reliable enough?",
        "tags": ["supply-chain", "lmis", "stock-outs"],
        "votes": 1,
        "body": """\
Commune health stations report contraceptive stock on paper every month; the
district enters it weeks later. We want stations to report **by phone**
(a simple form) so that the district sees stock-outs early.

Did phone reporting work where you tried it? What about stations with poor
signal?""",
        "answers": [
            {
                "author": "siti",
                "votes": 1,
                "body": "We use a simple online form that works offline and sends "
                        "when there is signal. Completeness went from 60% to 90%, but "
                        "someone at the district must look at it every week.",
            },
            {
                "author": "joseph",
                "votes": 1,
                "body": "Keep the form to five products at most. Our first version "
                        "had twenty lines and nobody filled it.",
            },
        ],
    },
    # -- Trainers' circle (private) ---------------------------------------------------------
    {
        "group": "trainers-circle",
        "author": "achieng",
        "lang": "en",
        "days_ago": 27,
        "title": "Competency checklist for implant insertion: share yours?",
        "tags": ["training", "implants", "competency"],
        "votes": 3,
        "body": """\
I am revising our implant insertion checklist. Ours has 32 steps and trainers
say it is too long to score during a live insertion.

Could we compare checklists? Which steps did you decide are **critical** (fail
the whole insertion if missed)?""",
        "answers": [
            {
                "author": "amina",
                "lang": "en",
                "votes": 2,
                "accepted": True,
                "body": """\
Ours has 18 steps, 6 of them critical:

1. Confirms eligibility and that the client is not pregnant.
2. Hand hygiene and sterile gloves.
3. Correct insertion site (inner arm, 8 to 10 cm above the elbow).
4. Local anaesthetic before the incision or puncture.
5. Subdermal placement: tenting the skin, never deep.
6. Palpates the implant with the client after insertion.

The rest are scored but do not fail the insertion.""",
            },
            {
                "author": "rahul",
                "votes": 1,
                "body": "We score communication separately (before, during and after). "
                        "Trainers were skipping it when it was mixed with clinical steps.",
            },
        ],
    },
    {
        "group": "trainers-circle",
        "author": "amina",
        "lang": "fr",
        "days_ago": 16,
        "title": "Supervision après la formation DIU : visites sur site ou groupe WhatsApp ?",
        "tags": ["supervision", "diu", "formation"],
        "votes": 2,
        "body": """\
Après nos formations DIU, les visites de supervision coûtent cher et arrivent
souvent trop tard. Un groupe WhatsApp des nouveaux prestataires permettrait de
poser des questions tout de suite.

Avez-vous combiné les deux ? Qu'est-ce qui a le mieux maintenu les compétences ?""",
        "answers": [
            {
                "author": "achieng",
                "lang": "en",
                "votes": 2,
                "accepted": True,
                "body": """\
We combine them: a **WhatsApp group** for quick questions (moderated by one
trainer, no client photos!) and **one on-site visit** at four to six weeks,
scored with the checklist.

The group kept people talking, but only the visit caught technique errors.""",
            },
            {
                "author": "kofi",
                "lang": "en",
                "votes": 1,
                "body": "We also ask new providers to log every insertion in a shared "
                        "sheet. A provider with no insertions in a month gets a call.",
            },
        ],
    },
    {
        "group": "trainers-circle",
        "author": "rahul",
        "lang": "en",
        "days_ago": 9,
        "title": "A DMPA-SC simulation for community health worker training that actually works",
        "tags": ["dmpa-sc", "training", "simulation"],
        "votes": 3,
        "body": """\
Our CHW trainees practise injection on models well, but struggle when they have
to **teach** a client. I am designing a simulation where one trainee plays a
nervous client.

Has anyone scripted client roles for this? What difficulties did you build in?""",
        "answers": [
            {
                "author": "moderator",
                "votes": 2,
                "body": """\
Our client cards (one per role play):

- "You are afraid of needles and want the CHW to do it."
- "Your husband does not know; where will you keep the units?"
- "You forgot your date last time; you are three weeks late."

The observer scores whether the CHW used teach-back, not whether the client
injected perfectly.""",
            },
        ],
    },
    {
        "group": "trainers-circle",
        "author": "amina",
        "lang": "fr",
        "days_ago": 1,
        "title": "Évaluer les formateurs en counseling PF : quelle grille d'observation ?",
        "tags": ["formation", "counseling", "évaluation"],
        "votes": 1,
        "body": """\
Nous évaluons les prestataires, mais rarement les **formateurs**. Je voudrais une
grille courte pour observer un formateur pendant une session de counseling :
méthodes participatives, gestion du temps, respect des participants.

Quelqu'un en a-t-il une à partager ?""",
    },
    # -- flagged, hidden, its author suspended (DEMO_MODERATION) ----------------------------
    {
        "group": "east-africa",
        "author": "pharmadeals",
        "days_ago": 1,
        "lang": "en",
        "spam": True,
        "title": SPAM_TITLE,
        "body": "Best prices on implants and injectables for your clinic, no paperwork. "
                "Order today, delivery in 48 hours anywhere in Kenya and Uganda.",
        "tags": ["implants", "injectables"],
    },
]

# The curated FAQ: threads a moderator promoted (their accepted answers), each with a short
# summary in the thread's language. `due`: its review date has passed (it waits in the
# review queue). `obsolete_by`: the entry was made obsolete by the one promoted from that
# question. `translation_of`: the entry in the other language on the same topic.
DEMO_FAQ = [
    {"question": "Implant stock-outs at rural dispensaries every quarter: how do you forecast?",
     "summary": "Forecast from **consumption**, not from last quarter's order; keep two "
                "months of buffer at the district and report stock weekly by SMS."},
    {"question": "Ruptures d'implants en CSPS : comment anticiper la commande trimestrielle ?",
     "summary": "Commander sur la **consommation réelle** des trois derniers mois et garder "
                "un stock de sécurité de deux mois au district.",
     "translation_of": "Implant stock-outs at rural dispensaries every quarter: how do you "
                       "forecast?"},
    {"question": "Training village health teams in DMPA-SC self-injection: how long should "
                 "it be?",
     "summary": "Two short sessions a week apart beat one long day: practise on models, then "
                "supervise the first real injection."},
    {"question": "Former les relais à l'auto-injection du DMPA-SC : combien de séances ?",
     "summary": "Deux séances courtes à une semaine d'intervalle, puis la première injection "
                "supervisée.",
     "translation_of": "Training village health teams in DMPA-SC self-injection: how long "
                       "should it be?"},
    {"question": "Youth-friendly services: Saturday clinic or after-school hours?",
     "summary": "After-school hours reached more students; a Saturday clinic suits young "
                "people out of school. Ask them before choosing."},
    {"question": "PPIUCD in district hospitals: high refusal when counselled in the labour "
                 "room",
     "summary": "Counsel during **antenatal visits** and confirm the choice on admission; "
                "the labour room is too late to decide."},
    {"question": "Postpartum IUD uptake fell after we moved counselling to the labour ward",
     "summary": "Move counselling back to antenatal care.",
     "obsolete_by": "PPIUCD in district hospitals: high refusal when counselled in the "
                    "labour room",
     "note": "The PPIUCD entry says the same with the district results and the admission "
             "check; read that one."},
    {"question": "HMIS family planning register: new and continuing users double counted",
     "summary": "Mark new users with a client number at the first visit and count continuing "
                "users from the register, never from tally sheets.",
     "due": True},
    {"question": "SMS reminders for DMPA reinjection: opt-in and privacy",
     "summary": "Ask for consent at the visit, send a neutral text (no method named) and let "
                "clients stop with one word."},
    {"question": "Counseling PF du post-partum : à quel moment en parler pendant les CPN ?",
     "summary": "En parler dès la deuxième CPN et y revenir au troisième trimestre, avec le "
                "partenaire si la femme le souhaite."},
    {"question": "Qualité des données SNIS : écarts entre registres PF et rapports mensuels",
     "summary": "Vérifier chaque mois un échantillon de registres contre le rapport ; "
                "corriger à la source, pas dans le rapport."},
    {"question": "CHPS compounds: offering implants without a resident midwife",
     "summary": "Trained CHNs can insert implants under task-sharing guidelines; plan "
                "removal referrals before the first insertion."},
]

# Recent questions without an accepted answer whose askers asked the suggested experts
# (routing): the experts see them on their home page and at /routed.
DEMO_ROUTED_ASKS = 2  # the top N suggested people are asked on each such question
DEMO_ROUTED_WITHIN_DAYS = 12


# What the moderators' views show in the demo: open and settled flags, a hidden
# advertisement, its author suspended, and searches that found nothing (the knowledge-gap
# view). Flags: (who, "question" or "answer", question title, reason, text); an "answer"
# flag is on that question's first answer.
DEMO_MODERATION = {
    "flags": [
        ("joseph", "question", SPAM_TITLE, "spam", ""),
        ("achieng", "question", SPAM_TITLE, "spam", ""),
        ("kofi", "question", SPAM_TITLE, "spam", ""),
        ("siti", "answer", "Youth-friendly services: Saturday clinic or after-school hours?",
         "expert_review", "Is this still what the national youth guideline recommends?"),
        ("awa", "question", "Reaching men through boda-boda riders' associations", "other",
         "The title names a company; is that allowed here?"),
    ],
    "curator": "moderator",
    "hide_reason": "Advertising: this is not a practitioner's question.",
    "suspend_days": 7,
    "suspend_reason": "Advertising in the forum, flagged as spam by three members.",
    # (normalised query, results): zero-result searches practitioners ran.
    "searches": [("misoprostol stock", 0), ("vasectomy counselling men", 0),
                 ("implant removal training", 4), ("contraception post-abortum", 0),
                 ("misoprostol stock", 0)],
}
