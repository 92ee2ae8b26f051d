"""Distractor threads for the search evaluation: practitioners' questions on the same
topics as the demo threads (implants, injectables, IUDs, counselling, supply, data, youth,
men, training), none of them the thread an evaluation query names.

Each situation is written once and asked from three places (SETTINGS), as the same problem
comes up in several districts: 71 situations, 213 threads. A situation is
(lang, tags, title, body, answer); {place} and {country} are filled in, and the group is
the setting's (GROUP).
"""

SETTINGS = {
    "en": [("Kisumu", "Kenya"), ("Tamale", "Ghana"), ("Rajshahi", "Bangladesh")],
    "fr": [("Kayes", "Mali"), ("Thiès", "Sénégal"), ("Bouaké", "Côte d'Ivoire")],
}

GROUP = {"en": ["east-africa", "west-africa-anglophone", "south-asia"],
         "fr": ["west-africa", "west-africa", "west-africa"]}

SITUATIONS = [
    # -- implants ---------------------------------------------------------------------------
    ("en", ["implants", "insertion"],
     "Implant insertion refresher for nurses in {place}: one day or two?",
     "Our nurses were trained in implant insertion three years ago and many have inserted "
     "fewer than ten since. The district wants a refresher in {place}. Is one day with "
     "models enough, or should we add a day of supervised clinical practice?",
     "Two days: the second one with real clients under supervision is what restores "
     "confidence."),
    ("en", ["implants", "pricing", "private-sector"],
     "Private clinics in {place} charge for implant insertion despite free commodities",
     "The implants are supplied free by the ministry, but several private clinics in "
     "{place} charge a fee for the insertion. Clients complain. Is a service fee allowed "
     "when the commodity is donated?",
     "In {country} a consultation fee is allowed but must be displayed; ask the district to "
     "publish the price list."),
    ("en", ["implants", "expiry", "supply-chain"],
     "Implants close to expiry at the district store in {place}",
     "We have 400 implants expiring in four months at the district store in {place}, while "
     "some facilities have none. How do you organise redistribution before they expire?",
     "Do a quick stock census by phone and move them with the next vaccine run."),
    ("en", ["implants", "infection-prevention"],
     "Infection at the implant site: what do you check first?",
     "Two clients in {place} came back with redness and pus at the insertion site a week "
     "after insertion. Before blaming the provider, what should we check in our "
     "infection-prevention routine?",
     "Check the skin preparation, the sterile pack storage and whether the dressing was "
     "kept dry."),
    ("en", ["implants", "deep-implants", "referral"],
     "Deep or non-palpable implants: where do we refer in {place}?",
     "A client's implant cannot be felt under the skin. Nobody in {place} has an "
     "ultrasound for this. Where do you refer non-palpable implants, and who pays for the "
     "transport?",
     "The regional hospital has a radiologist who can locate it; keep a referral letter "
     "template."),
    ("en", ["implants", "adolescents"],
     "Implants for adolescents in {place}: providers reluctant",
     "Some providers in {place} refuse to give implants to girls under 18, saying they "
     "should use condoms first. The guidelines say implants are safe for adolescents. How "
     "do you change providers' attitudes?",
     "Values clarification workshops helped us more than circulating the guideline."),
    ("en", ["implants", "outreach"],
     "Outreach days for implants in {place}: how many clients per provider?",
     "We run mobile outreach in {place} once a month. Last time one provider did 35 "
     "insertions in a day and quality suffered. What is a safe number per provider per "
     "day?",
     "We cap it at 20 and send two providers when demand is higher."),
    # -- injectables --------------------------------------------------------------------------
    ("en", ["dmpa-sc", "pharmacies", "self-injection"],
     "Selling DMPA-SC for self-injection in pharmacies in {place}",
     "The regulator in {country} now allows pharmacies to sell DMPA-SC for self-injection. "
     "Who trains the pharmacy staff, and how do clients get their first injection "
     "supervised?",
     "The pharmacy council runs a short course; the first injection is given in the shop."),
    ("en", ["dmpa", "reinjection", "late-clients"],
     "Clients late for their reinjection: how many weeks of grace in {place}?",
     "Clients often come back two or three weeks late for their injection. Our nurses in "
     "{place} send them away to wait for their period. What grace period do you use?",
     "Up to four weeks late you can reinject without a pregnancy test; after that, rule out "
     "pregnancy."),
    ("en", ["dmpa-sc", "sharps", "waste"],
     "Sharps disposal for self-injecting clients in {place}",
     "Women who self-inject at home in {place} ask what to do with the used devices. A "
     "sealed tin returned at the next visit? Plastic bottles?",
     "A thick plastic bottle with a lid, brought back at the resupply visit, works for us."),
    ("en", ["injectables", "bone-density"],
     "Injectables and bone density in adolescents: what do you say?",
     "Parents in {place} heard that the injection weakens bones in young girls. How do you "
     "answer this without dismissing their worry?",
     "Explain that the loss is small and recovers after stopping; it is not a reason to "
     "refuse the method."),
    ("en", ["injectables", "return-to-fertility"],
     "Delayed return to fertility after the injection: managing expectations",
     "Several women in {place} stopped the injection to get pregnant and nothing happened "
     "for months. They blame the method. How do you explain the delay at the start?",
     "Say at the first visit that fertility may take up to a year to return after "
     "stopping."),
    # -- IUDs -----------------------------------------------------------------------------------
    ("en", ["iud", "expulsion"],
     "IUD expulsions in the first three months at {place} district hospital",
     "We recorded a high expulsion rate in the first three months after interval IUD "
     "insertion in {place}. Is this a technique problem or should we change follow-up "
     "visits?",
     "Look at the fundal placement in your training; most early expulsions come from low "
     "placement."),
    ("en", ["iud", "hormonal-iud"],
     "Introducing the hormonal IUD in {place}: who to offer it to first?",
     "The LNG-IUS is arriving in {country} in small quantities. Which clients should we "
     "prioritise: women with heavy bleeding, or anyone who asks?",
     "Start with women with heavy menstrual bleeding and those who want an IUD with lighter "
     "periods."),
    ("en", ["iud", "myths"],
     "Myths about the copper IUD travelling in the body",
     "Women in {place} believe the IUD can move to the heart or the stomach. How do you "
     "address this in group education sessions?",
     "A pelvic model and a real IUD passed around the group works better than any poster."),
    ("en", ["iud", "removal"],
     "IUD removal requests after partner objection in {place}",
     "Several women in {place} ask for removal because their husband found the strings. "
     "Do you trim the strings shorter, or counsel the couple?",
     "Counsel the woman first; never trim without her informed request."),
    # -- counselling and quality of care ------------------------------------------------------
    ("en", ["counselling", "quality-of-care", "workload"],
     "Quality of care when one nurse sees 60 clients a day in {place}",
     "At our busiest health centre in {place} one nurse sees up to 60 family planning "
     "clients a day. Counselling takes two minutes at most. How do others protect the "
     "quality of the consultation under this workload?",
     "Group information sessions in the waiting area, then short individual counselling, "
     "helped us."),
    ("en", ["counselling", "job-aids"],
     "Which counselling job aid do you use: the wall chart or the flip chart?",
     "Providers in {place} have both the tiered effectiveness wall chart and a flip chart. "
     "Which one do clients understand better?",
     "The tiered chart for choosing, the flip chart for the chosen method's details."),
    ("en", ["counselling", "disability"],
     "Counselling clients with disabilities in {place}",
     "A deaf client came to our clinic in {place} with her sister, who answered every "
     "question for her. How do you keep counselling confidential and informed for clients "
     "with disabilities?",
     "Use written materials and pictures, and ask the companion to step out for part of "
     "the visit."),
    ("en", ["counselling", "informed-choice"],
     "Informed choice when the client asks the provider to choose",
     "Many clients in {place} say 'you choose for me, you are the nurse'. How do you "
     "respond without steering them?",
     "Ask about her plans and what she disliked before; narrow down together."),
    ("en", ["counselling", "mystery-clients"],
     "Mystery client visits to check counselling quality in {place}",
     "We want to use mystery clients to check counselling quality in {place}. How do you "
     "recruit and train them, and how do you share results without blaming providers?",
     "Recruit from youth groups, pay them, and share results by facility, never by name."),
    ("en", ["counselling", "bleeding", "pills"],
     "Spotting on the combined pill: when do clients give up?",
     "Pill users in {place} stop in the second month because of spotting. What do you say "
     "at the start so they continue?",
     "Tell them spotting is common in the first three months and usually stops."),
    # -- supply -----------------------------------------------------------------------------------
    ("en", ["condoms", "stock-outs"],
     "Condom stock-outs in {place} youth centres",
     "The youth centres in {place} run out of condoms every month while the district store "
     "has plenty. Requisitions are slow. How do you keep youth centres supplied?",
     "A monthly top-up to a fixed maximum, delivered with the supervision visit."),
    ("en", ["pills", "stock-outs", "supply-chain"],
     "Combined pill stock-outs while progestin-only pills pile up in {place}",
     "Our facilities in {place} keep running out of combined pills but have boxes of "
     "progestin-only pills near expiry. How do you rebalance stock between methods?",
     "Check the consumption data per method; the forecast used the old method mix."),
    ("en", ["supply-chain", "requisition", "lmis"],
     "Paper requisitions lost between facility and district in {place}",
     "Requisition forms from facilities in {place} get lost or arrive late. Has anyone "
     "moved to electronic LMIS at facility level, and what did it cost?",
     "We used tablets with the national eLMIS; training took one day per facility."),
    ("en", ["supply-chain", "warehouse"],
     "Storage conditions in health facility stores in {place}",
     "The stores in our facilities in {place} are hot, crowded and shared with other "
     "programmes. What minimum storage standards do you enforce for contraceptives?",
     "Shelves off the floor, first-expiry first-out, a thermometer and a stock card per "
     "product."),
    ("en", ["supply-chain", "buffer-stock"],
     "Setting minimum and maximum stock levels for health facilities",
     "The district in {place} uses a maximum of three months of stock. Facilities far from "
     "the road run out before the next delivery. Should remote facilities have a higher "
     "maximum?",
     "Yes: add the delivery interval and the lead time; remote ones need four or five "
     "months."),
    # -- data ------------------------------------------------------------------------------------
    ("en", ["hmis", "dhis2", "reporting"],
     "Late monthly reports to DHIS2 from facilities in {place}",
     "Half of the facilities in {place} submit their monthly family planning report after "
     "the deadline. Data clerks blame network problems. How do you improve timeliness?",
     "Allow offline entry and send an SMS reminder on the 3rd of each month."),
    ("en", ["data-use", "review-meetings"],
     "Making quarterly data review meetings useful in {place}",
     "Our quarterly review meetings in {place} are slides of numbers nobody discusses. How "
     "do you make facility staff use their own data?",
     "Each facility presents one indicator and one action; the district follows up the "
     "actions."),
    ("en", ["indicators", "cyp"],
     "Couple-years of protection or new users: which indicator for the district?",
     "The programme in {place} reports couple-years of protection, but managers ask for "
     "new users. Which indicator tells you more about progress?",
     "Report both; CYP is skewed by long-acting methods, new users by data errors."),
    ("en", ["surveys", "unmet-need"],
     "Unmet need estimates for {place}: survey or routine data?",
     "We need an estimate of unmet need for family planning in {place} for the annual "
     "plan. The last survey is five years old. Can routine data replace it?",
     "Routine data cannot measure unmet need; use the survey with a trend adjustment."),
    # -- youth ---------------------------------------------------------------------------------
    ("en", ["adolescents", "parental-consent"],
     "Parental consent for contraception for under-18s in {place}",
     "Providers in {place} ask whether a 16-year-old may receive contraception without a "
     "parent. What does the law in {country} say, and what do you do in practice?",
     "Check the national adolescent health policy; most allow it for mature minors."),
    ("en", ["adolescents", "peer-educators"],
     "Peer educators dropping out after training in {place}",
     "We trained 40 peer educators in {place}; six months later only 10 are active. How do "
     "you keep volunteers engaged?",
     "Small stipends, monthly meetings and a clear role at the youth centre."),
    ("en", ["adolescents", "schools", "sexuality-education"],
     "Sexuality education in schools: working with head teachers in {place}",
     "Head teachers in {place} are wary of sexuality education. How did you win their "
     "support?",
     "Involve them in reviewing the materials before the sessions start."),
    ("en", ["adolescents", "young-mothers"],
     "Contraception for young mothers returning to school in {place}",
     "Teenage mothers in {place} want to go back to school but fear another pregnancy. "
     "Which services reach them best?",
     "Postpartum visits at home and school nurses who know their situation."),
    # -- men and community -----------------------------------------------------------------------
    ("en", ["vasectomy", "male-involvement"],
     "Vasectomy demand in {place}: almost zero, why?",
     "We offer vasectomy at the district hospital in {place} but had two clients last "
     "year. Men say it makes them weak. How did you build demand?",
     "Satisfied vasectomy clients speaking at community meetings made the difference."),
    ("en", ["religious-leaders", "community"],
     "Working with religious leaders on birth spacing in {place}",
     "Religious leaders in {place} have a strong influence on family size. How have you "
     "engaged them on birth spacing without conflict?",
     "Start with maternal and child health benefits of spacing, not with methods."),
    ("en", ["community-health-workers", "supervision"],
     "Supervising community health workers across a large district in {place}",
     "Our supervisors in {place} visit each community health worker twice a year at best. "
     "How do you supervise CHWs when distances are long?",
     "Monthly cluster meetings at the health facility plus phone check-ins."),
    ("en", ["community-health-workers", "pills", "resupply"],
     "Community health workers resupplying pills: record keeping in {place}",
     "CHWs in {place} resupply pill users at home. Their records are incomplete and do not "
     "match the facility register. What simple form do you use?",
     "A one-page client card kept by the client, copied into a monthly summary."),
    ("en", ["community-health-workers", "incentives"],
     "Paying community health workers: stipend or per-client incentives?",
     "The district in {place} debates a fixed stipend against per-client payments for "
     "community health workers. What did you see in practice?",
     "Fixed stipends with a small performance bonus caused fewer distortions."),
    # -- postpartum, post-abortion, maternal ---------------------------------------------------
    ("en", ["postpartum", "lam"],
     "Lactational amenorrhoea method: when to switch to another method?",
     "Mothers in {place} rely on breastfeeding alone for contraception long after six "
     "months. How do you explain the LAM criteria?",
     "Three criteria: no periods, exclusive breastfeeding, baby under six months."),
    ("en", ["post-abortion-care", "contraception"],
     "Post-abortion family planning uptake in {place}",
     "Women treated for incomplete abortion in {place} rarely leave with a method. How do "
     "you integrate contraception into post-abortion care?",
     "Offer the method in the same room, before discharge, with the same provider."),
    ("en", ["postpartum", "implants", "immediate"],
     "Immediate postpartum implants before discharge in {place}",
     "Our hospital in {place} wants to offer implants before discharge after delivery. "
     "What training and registers did you need?",
     "A half-day orientation for ward staff and a column in the delivery register."),
    ("en", ["maternal-health", "birth-spacing"],
     "Birth spacing messages during immunisation visits in {place}",
     "Mothers bring babies for immunisation in {place} but rarely get family planning "
     "information. How do you integrate the two without slowing the clinic?",
     "A short message from the vaccinator and a referral card to the FP room next door."),
    # -- training and supervision -----------------------------------------------------------
    ("en", ["training", "e-learning"],
     "E-learning for family planning providers: does it work on phones in {place}?",
     "We want to move theory modules online for providers in {place}. Most have only a "
     "phone with limited data. Has anyone done this well?",
     "Small downloadable modules and offline quizzes; avoid video."),
    ("en", ["training", "mentoring"],
     "Clinical mentoring after training: how often should mentors visit?",
     "After the last training in {place}, mentors visited once and never again. What "
     "mentoring schedule keeps skills up?",
     "Monthly for the first three months, then quarterly."),
    ("en", ["training", "pre-service"],
     "Family planning in pre-service midwifery training in {place}",
     "New midwives in {place} graduate without ever inserting an IUD or implant. How do "
     "you strengthen the clinical practice in pre-service training?",
     "Placements at high-volume clinics with a logbook signed by the preceptor."),
    ("en", ["quality-improvement", "supervision"],
     "Supportive supervision checklist for family planning services",
     "The supervision checklist used in {place} has 120 items and takes a whole day. Which "
     "items matter most?",
     "Keep commodity availability, infection prevention, counselling and records."),
    # -- policy, finance, programme ----------------------------------------------------------------
    ("en", ["health-insurance", "financing"],
     "Is family planning covered by health insurance in {country}?",
     "Clients in {place} with health insurance are told family planning is not covered. "
     "Where is it covered, and how was it added to the benefit package?",
     "It was added by a ministerial decree after costing the package."),
    ("en", ["policy", "costed-implementation-plan"],
     "Costed implementation plan for family planning: district level",
     "{country} has a national costed implementation plan. How do districts like {place} "
     "turn it into a district budget?",
     "Pick the activities the district runs and cost them with local prices."),
    ("en", ["humanitarian", "emergency"],
     "Family planning services in displacement camps near {place}",
     "Floods displaced thousands of families near {place}. What minimum family planning "
     "services should the camp clinic offer first?",
     "Follow the minimum initial service package: condoms, emergency contraception, "
     "short-acting methods."),
    ("en", ["telemedicine", "hotline"],
     "A family planning hotline in {place}: who answers the calls?",
     "We plan a free hotline for contraceptive questions in {place}. Nurses or trained "
     "counsellors? What hours?",
     "Trained counsellors with a nurse on call; evenings get most calls."),
    # -- French -----------------------------------------------------------------------------
    ("fr", ["implants", "formation"],
     "Recyclage des prestataires à la pose d'implants à {place}",
     "Nos sages-femmes de {place} ont été formées il y a trois ans et posent peu "
     "d'implants. Faut-il un recyclage d'un ou de deux jours ?",
     "Deux jours, dont un de pratique supervisée avec de vraies clientes."),
    ("fr", ["pilules", "ruptures-de-stock"],
     "Ruptures de pilules dans les CSCom de {place}",
     "Les CSCom de {place} manquent de pilules combinées chaque mois, alors que le dépôt "
     "du district en a. Comment améliorer les commandes ?",
     "Une dotation mensuelle jusqu'au stock maximum, livrée avec la supervision."),
    ("fr", ["préservatifs", "jeunes"],
     "Distribution de préservatifs aux jeunes dans les écoles de {place}",
     "Des associations veulent distribuer des préservatifs dans les lycées de {place}. Les "
     "parents s'y opposent. Comment avez-vous procédé ?",
     "Passer par les comités de parents avant toute distribution."),
    ("fr", ["dmpa", "réinjection", "retard"],
     "Clientes en retard pour la réinjection : quel délai de grâce à {place} ?",
     "À {place}, des clientes reviennent avec deux ou trois semaines de retard pour leur "
     "injection. Les infirmiers les renvoient attendre les règles. Quel délai "
     "appliquez-vous ?",
     "Jusqu'à quatre semaines de retard, on réinjecte sans test de grossesse."),
    ("fr", ["diu", "expulsion"],
     "Expulsions de DIU dans les trois premiers mois à {place}",
     "Nous avons beaucoup d'expulsions de DIU après la pose à {place}. Problème de "
     "technique ou de suivi ?",
     "Vérifiez la pose au fond utérin pendant la formation."),
    ("fr", ["counseling", "charge-de-travail", "qualité-des-soins"],
     "Qualité du counseling quand une sage-femme reçoit 50 clientes par jour",
     "Au centre de santé de {place}, une seule sage-femme reçoit jusqu'à 50 clientes PF "
     "par jour. Le counseling dure deux minutes. Comment préserver la qualité ?",
     "Des causeries de groupe en salle d'attente, puis un counseling individuel court."),
    ("fr", ["jeunes", "consentement-parental"],
     "Contraception des mineures sans accord des parents à {place}",
     "Les prestataires de {place} demandent si une fille de 16 ans peut recevoir une "
     "méthode sans ses parents. Que dit la loi en {country} ?",
     "La loi sur la santé de la reproduction garantit l'accès sans autorisation "
     "parentale."),
    ("fr", ["leaders-religieux", "espacement-des-naissances"],
     "Les leaders religieux et l'espacement des naissances à {place}",
     "Les imams et les prêtres de {place} ont beaucoup d'influence. Comment les associer "
     "à l'espacement des naissances ?",
     "Commencer par la santé de la mère et de l'enfant, pas par les méthodes."),
    ("fr", ["vasectomie", "hommes"],
     "Vasectomie : presque aucune demande à {place}",
     "Nous proposons la vasectomie à l'hôpital de {place} mais personne ne vient. Les "
     "hommes disent que cela rend faible. Comment créer la demande ?",
     "Des témoignages d'hommes vasectomisés lors des réunions communautaires."),
    ("fr", ["données", "dhis2", "complétude"],
     "Rapports mensuels PF en retard dans DHIS2 à {place}",
     "La moitié des formations sanitaires de {place} saisissent leur rapport mensuel PF "
     "après la date limite. Comment améliorer la promptitude ?",
     "Saisie hors ligne et rappel par SMS le 3 de chaque mois."),
    ("fr", ["post-abortum", "contraception"],
     "PF après soins post-avortement à {place} : peu de femmes repartent avec une méthode",
     "Les femmes traitées pour avortement incomplet à {place} repartent rarement avec une "
     "méthode. Comment intégrer la PF aux soins après avortement ?",
     "Proposer la méthode dans la même salle, avant la sortie."),
    ("fr", ["vaccination", "intégration"],
     "Messages PF pendant les séances de vaccination à {place}",
     "Les mères viennent vacciner leurs bébés à {place} mais ne reçoivent aucune "
     "information PF. Comment intégrer les deux sans ralentir la séance ?",
     "Un message court du vaccinateur et une fiche de référence vers la salle PF."),
    ("fr", ["stockage", "magasin"],
     "Conditions de stockage des produits PF dans les dépôts de {place}",
     "Les magasins des centres de santé de {place} sont chauds et encombrés. Quelles "
     "normes minimales appliquez-vous ?",
     "Étagères, premier périmé premier sorti, thermomètre et fiche de stock."),
    ("fr", ["supervision", "agents-de-santé-communautaire"],
     "Supervision des agents de santé communautaire dans un grand district",
     "Nos superviseurs de {place} voient chaque agent de santé communautaire deux fois par "
     "an au mieux. Comment superviser malgré les distances ?",
     "Réunions mensuelles au centre de santé et appels téléphoniques."),
    ("fr", ["pilules", "saignements"],
     "Saignements intermenstruels sous pilule : les clientes abandonnent",
     "À {place}, les utilisatrices de pilule arrêtent au deuxième mois à cause des "
     "saignements. Que leur dire au début ?",
     "Prévenir que les petits saignements sont fréquents les trois premiers mois."),
    ("fr", ["formation", "apprentissage-en-ligne"],
     "Formation en ligne des prestataires PF sur téléphone à {place}",
     "Nous voulons mettre les modules théoriques en ligne pour les prestataires de "
     "{place}, qui n'ont qu'un téléphone. Des expériences ?",
     "Des modules courts téléchargeables et des quiz hors ligne."),
    ("fr", ["urgence-humanitaire"],
     "PF dans les camps de déplacés autour de {place}",
     "Des inondations ont déplacé des milliers de familles près de {place}. Quels "
     "services PF offrir en premier ?",
     "Le dispositif minimum d'urgence : préservatifs, contraception d'urgence, méthodes "
     "de courte durée."),
    ("fr", ["implants", "retrait", "infection"],
     "Infection au site de l'implant : que vérifier d'abord ?",
     "Deux clientes de {place} sont revenues avec une rougeur au bras une semaine après "
     "la pose. Que faut-il vérifier dans la prévention des infections ?",
     "La préparation de la peau et le stockage des plateaux stériles."),
    ("fr", ["indicateurs", "aacp"],
     "Années-couple de protection ou nouvelles utilisatrices : quel indicateur ?",
     "Le programme de {place} rapporte les années-couple de protection, mais les "
     "responsables veulent les nouvelles utilisatrices. Lequel suivre ?",
     "Les deux : l'AACP dépend des méthodes de longue durée."),
]


def threads() -> list[dict]:
    """Every distractor thread as {lang, group, tags, title, body, answer}."""
    found = []
    for lang, tags, title, body, answer in SITUATIONS:
        for (place, country), group in zip(SETTINGS[lang], GROUP[lang], strict=True):
            def fill(text, place=place, country=country):
                return text.replace("{place}", place).replace("{country}", country)
            title_here = fill(title)
            if title_here == title:  # the title names no place: say where
                title_here = f"{title} ({place})"
            found.append({"lang": lang, "group": group, "tags": tags, "title": title_here,
                          "body": fill(body), "answer": fill(answer)})
    return found
