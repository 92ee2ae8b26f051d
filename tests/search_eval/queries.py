"""The evaluation queries: what a practitioner types, and the demo thread it should find.

Kinds:
- paraphrase: the words of her situation, sharing at most one content word with the
  target's title (checked by tests/test_search_eval.py);
- cross: a French query for an English thread or the reverse, on a topic with no thread in
  the query's own language;
- typo: one or two words misspelt;
- variant: British/American spelling, or an FP/RH abbreviation the thread spells out (or
  the reverse);
- plain: the thread's own words, as the current engine was built for.

Targets are named by the start of the demo thread's title (forum/demo_content.py).
"""

from forum.demo_content import QUESTIONS

KINDS = ("plain", "paraphrase", "cross", "typo", "variant")

# (kind, query, start of the target thread's title)
QUERIES = [
    # -- plain --------------------------------------------------------------------------------
    ("plain", "implant stock-outs forecast", "Implant stock-outs at rural"),
    ("plain", "DMPA-SC self-injection training village health teams", "Training village"),
    ("plain", "boda-boda riders", "Reaching men through boda-boda"),
    ("plain", "drone delivery commodities", "Drone delivery"),
    ("plain", "school health rooms adolescents", "Counselling adolescents in school"),
    ("plain", "CHPS compounds implants", "CHPS compounds"),
    ("plain", "relance SMS vocal wolof", "Relance des clientes PF"),
    ("plain", "causeries grins de thé", "Impliquer les hommes"),
    ("plain", "espaces jeunes confidentialité", "Espaces jeunes"),
    ("plain", "Antara injectable MPA", "Learning from India's Antara"),
    ("plain", "method mix injectables", "Method mix skewed"),
    ("plain", "qualité des données SNIS", "Qualité des données SNIS"),
    # -- paraphrases ----------------------------------------------------------------------------
    ("paraphrase", "rods keep running out in remote clinics, how to predict the order",
     "Implant stock-outs at rural"),
    ("paraphrase", "how many days to teach village volunteers to give themselves the "
                   "subcutaneous shot", "Training village"),
    ("paraphrase", "teenagers will not come during weekday opening times, should we open "
                   "on weekends", "Youth-friendly services"),
    ("paraphrase", "fewer women accept a coil after delivery since we talk to them during "
                   "labour", "Postpartum IUD uptake fell"),
    ("paraphrase", "what to tell women about irregular periods with the rod",
     "Counselling on bleeding changes"),
    ("paraphrase", "clients switching method recorded twice as first-time acceptors",
     "HMIS family planning register"),
    ("paraphrase", "talking to motorbike taxi drivers about contraception",
     "Reaching men through boda-boda"),
    ("paraphrase", "morning-after pill available in private chemists but not in public "
                   "clinics", "Emergency contraception: pharmacies stocked"),
    ("paraphrase", "text message prompts before the next injection date when women share "
                   "a phone", "SMS reminders for DMPA"),
    ("paraphrase", "can lower cadre nurses legally put in contraceptive rods",
     "Task sharing: may enrolled"),
    ("paraphrase", "women walk long distances to get their rod taken out, too few "
                   "trained staff", "Implant removal: clients travel"),
    ("paraphrase", "manque de Jadelle au centre de santé chaque trimestre, comment prévoir",
     "Ruptures d'implants en CSPS"),
    ("paraphrase", "combien de jours pour apprendre aux agents communautaires l'injection "
                   "sous-cutanée", "Former les relais"),
    ("paraphrase", "quand aborder la contraception après l'accouchement pendant les "
                   "consultations prénatales", "Counseling PF du post-partum"),
    ("paraphrase", "les femmes arrêtent l'injectable parce qu'elles n'ont plus leurs règles",
     "Effets secondaires du DMPA"),
    ("paraphrase", "sensibiliser les maris pendant leurs rencontres du soir autour du thé",
     "Impliquer les hommes"),
    ("paraphrase", "les chiffres du DHIS2 ne correspondent pas aux cahiers de consultation",
     "Qualité des données SNIS"),
    ("paraphrase", "pharmaciens qui refusent la pilule du lendemain aux adolescentes",
     "Contraception d'urgence en pharmacie"),
    ("paraphrase", "une matrone peut-elle insérer un stérilet", "Délégation des tâches"),
    ("paraphrase", "les ados ont peur d'être vus au centre par les voisins", "Espaces jeunes"),
    ("paraphrase", "routes coupées pendant la saison des pluies, comment acheminer les "
                   "contraceptifs", "Dernier kilomètre"),
    ("paraphrase", "messages audio en langue locale pour rappeler les rendez-vous",
     "Relance des clientes PF"),
    ("paraphrase", "conserver le Sayana Press quand il fait très chaud dans le dépôt",
     "DMPA-SC sans chaîne du froid"),
    ("paraphrase", "can a nurse at a rural post place contraceptive rods when no midwife "
                   "lives there", "CHPS compounds"),
    ("paraphrase", "unmanned aircraft to fly contraceptives to remote clinics",
     "Drone delivery"),
    ("paraphrase", "almost every client ends up on the shot, is the provider biased or is "
                   "it stock", "Method mix skewed"),
    ("paraphrase", "women decline the copper device offered right after birth in hospital",
     "PPIUCD in district hospitals"),
    ("paraphrase", "do payments per acceptor push village health workers toward one method",
     "ASHA incentives"),
    ("paraphrase", "how many coil placements on real clients before a provider is signed "
                   "off", "IUD insertion training"),
    ("paraphrase", "lessons from the Indian government's three-monthly injection rollout",
     "Learning from India's Antara"),
    ("paraphrase", "tubectomy figures jump during campaign periods",
     "HMIS data quality: sterilisation"),
    ("paraphrase", "expired rods waiting because trained staff moved to another post",
     "Implant removal backlog"),
    ("paraphrase", "what are pupils allowed to hear about contraception from the campus "
                   "nurse", "Counselling adolescents in school"),
    ("paraphrase", "which messaging app do village volunteers use to remind women to "
                   "collect their next pack of tablets", "Pill refill reminders"),
    ("paraphrase", "young women taking the morning-after pill several times a month, what "
                   "should the chemist say", "Repeated use of emergency"),
    ("paraphrase", "getting fathers to come to pregnancy check-ups to talk about spacing "
                   "after birth", "Inviting husbands"),
    ("paraphrase", "mobile form for the monthly contraceptive inventory of village clinics",
     "Stock reporting from commune"),
    ("paraphrase", "scoring sheet for trainees placing rods, ours is too long",
     "Competency checklist"),
    ("paraphrase", "suivi des prestataires formés au stérilet : messagerie ou visites",
     "Supervision après la formation DIU"),
    ("paraphrase", "role play so that trainees learn to teach women to inject themselves",
     "A DMPA-SC simulation"),
    ("paraphrase", "comment observer et noter un formateur pendant une séance",
     "Évaluer les formateurs"),
    # -- cross-language -------------------------------------------------------------------------
    ("cross", "services pour les jeunes le samedi ou après l'école", "Youth-friendly services"),
    ("cross", "associations de conducteurs de motos-taxis", "Reaching men through boda-boda"),
    ("cross", "rappels par SMS avant la réinjection et vie privée", "SMS reminders for DMPA"),
    ("cross", "les infirmiers peuvent-ils poser les implants en Tanzanie",
     "Task sharing: may enrolled"),
    ("cross", "retrait des implants : les clientes viennent de loin",
     "Implant removal: clients travel"),
    ("cross", "drones pour livrer les produits contraceptifs", "Drone delivery"),
    ("cross", "gamme de méthodes dominée par les injectables", "Method mix skewed"),
    ("cross", "incitations financières des ASHA", "ASHA incentives"),
    ("cross", "nombre de poses de DIU supervisées avant la certification",
     "IUD insertion training"),
    ("cross", "stérilisation : pics pendant les camps", "HMIS data quality: sterilisation"),
    ("cross", "grille de compétences pour la pose d'implant", "Competency checklist"),
    ("cross", "inviter les maris aux visites prénatales", "Inviting husbands"),
    ("cross", "amenorrhoea with DMPA, what to tell clients who stop",
     "Effets secondaires du DMPA"),
    ("cross", "talks with men in tea groups", "Impliquer les hommes"),
    ("cross", "discrepancies between registers and monthly reports in DHIS2",
     "Qualité des données SNIS"),
    ("cross", "can an auxiliary midwife insert an IUD", "Délégation des tâches"),
    ("cross", "last mile delivery by motorbike in the rainy season", "Dernier kilomètre"),
    ("cross", "voice SMS reminders in Wolof", "Relance des clientes PF"),
    ("cross", "storing DMPA-SC without a cold chain in the heat", "DMPA-SC sans chaîne du"),
    ("cross", "supervision after IUD training: site visits or a WhatsApp group",
     "Supervision après la formation DIU"),
    ("cross", "evaluating counselling trainers with an observation checklist",
     "Évaluer les formateurs"),
    ("cross", "youth corner confidentiality in a small village", "Espaces jeunes"),
    # -- typos ------------------------------------------------------------------------------------
    ("typo", "implnat stock-outs forecast", "Implant stock-outs at rural"),
    ("typo", "repeated emergency contraceptoin pharmacists", "Repeated use of emergency"),
    ("typo", "boda-boda ridres", "Reaching men through boda-boda"),
    ("typo", "drone delivry Volta", "Drone delivery"),
    ("typo", "PPIUCD refusl labour room", "PPIUCD in district hospitals"),
    ("typo", "sterilsation camp months", "HMIS data quality: sterilisation"),
    ("typo", "Puskesmas implant remooval backlog", "Implant removal backlog"),
    ("typo", "posyandu cadres WhatsApp remnders", "Pill refill reminders"),
    ("typo", "aménorhée DMPA", "Effets secondaires du DMPA"),
    ("typo", "dernier kilometre hivernnage", "Dernier kilomètre"),
    ("typo", "grille d'observatoin formateurs", "Évaluer les formateurs"),
    ("typo", "ASHA incentivs", "ASHA incentives"),
    ("typo", "DMPA-SC simulaton", "A DMPA-SC simulation"),
    ("typo", "competancy checklist implant", "Competency checklist"),
    ("typo", "Antara injectible programme", "Learning from India's Antara"),
    ("typo", "youth frendly saturday clinic", "Youth-friendly services"),
    ("typo", "enroled nurses implants Tanzania", "Task sharing: may enrolled"),
    ("typo", "chaine du froid DMPA-SC tempratures", "DMPA-SC sans chaîne du"),
    # -- spelling variants and abbreviations --------------------------------------------------
    ("variant", "sterilization camps", "HMIS data quality: sterilisation"),
    ("variant", "counseling bleeding implants", "Counselling on bleeding changes"),
    ("variant", "IUCD refusal labor room", "PPIUCD in district hospitals"),
    ("variant", "CHW DMPA-SC simulation", "A DMPA-SC simulation"),
    ("variant", "VHT self-injection how long", "Training village"),
    ("variant", "LARC removal clients travel far", "Implant removal: clients travel"),
    ("variant", "PPFP husbands antenatal", "Inviting husbands"),
    ("variant", "EC pharmacies stocked facilities empty",
     "Emergency contraception: pharmacies stocked"),
    ("variant", "PPIUD uptake labour ward", "Postpartum IUD uptake fell"),
    ("variant", "ASC formation auto-injection", "Former les relais"),
    ("variant", "Depo reinjection SMS reminders", "SMS reminders for DMPA"),
    ("variant", "Antara program injectable", "Learning from India's Antara"),
    ("variant", "M&E data quality new and continuing users", "HMIS family planning register"),
]

_TITLES = [q["title"] for q in QUESTIONS]


def target_title(start: str) -> str:
    """The one demo title that begins with `start`."""
    found = [t for t in _TITLES if t.startswith(start)]
    if len(found) != 1:
        raise ValueError(f"{start!r} names {len(found)} demo threads")
    return found[0]


def queries() -> list[tuple[str, str, str]]:
    """(kind, query, target title) for every evaluation query."""
    return [(kind, q, target_title(start)) for kind, q, start in QUERIES]
