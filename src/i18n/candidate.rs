//! What the candidate's pages say, in each language the invitation form offers. Placeholders in braces are filled
//! with [`super::fill`]; askama escapes the results.

use crate::domain::Language;

pub struct CandidateTexts {
    /// The `lang` attribute of the page.
    pub html_lang: &'static str,
    pub page_title: &'static str,
    pub invites: &'static str,
    pub deadline_label: &'static str,
    pub deadline_note: &'static str,
    pub questions_count: &'static str,
    pub answer_time: &'static str,
    pub takes: &'static str,
    pub think_time: &'static str,
    pub think_no_limit: &'static str,
    pub questions_later: &'static str,
    pub audio_only: &'static str,
    pub minutes_unit: &'static str,
    pub seconds_unit: &'static str,
    pub privacy_heading: &'static str,
    pub privacy_text: &'static str,
    pub consent_label: &'static str,
    pub consent_required: &'static str,
    pub start: &'static str,
    pub continue_label: &'static str,
    /// For a candidate who comes back: how far they are.
    pub answered_so_far: &'static str,
    pub closed_expired: &'static str,
    pub closed_disabled: &'static str,
    pub closed_withdrawn: &'static str,
    /// The link of an invitation erased with the candidate's data.
    pub closed_erased: &'static str,
    /// The link to the organization's own privacy notice.
    pub privacy_notice_link: &'static str,
    pub closed_answered: &'static str,
    /// Who to ask, followed by their email address as a link.
    pub closed_contact: &'static str,
}

pub fn candidate_texts(lang: Language) -> &'static CandidateTexts {
    per_language!(lang)
}

impl CandidateTexts {
    /// `2 min 30 s`, `45 s`, `10 min`, with the language's units.
    pub fn duration(&self, seconds: i64) -> String {
        let (m, s) = (seconds / 60, seconds % 60);
        match (m, s) {
            (0, s) => format!("{s} {}", self.seconds_unit),
            (m, 0) => format!("{m} {}", self.minutes_unit),
            (m, s) => format!("{m} {} {s} {}", self.minutes_unit, self.seconds_unit),
        }
    }
}

static EN: CandidateTexts = CandidateTexts {
    html_lang: "en",
    page_title: "Video interview",
    invites: "{org} invites you to answer this video interview.",
    deadline_label: "Answer by",
    deadline_note: "The date is inclusive: you can answer until the end of that day (time zone: {zone}).",
    questions_count: "Questions: {count}",
    answer_time: "Answer time up to {duration}",
    takes: "Takes: {takes}",
    think_time: "Time to think: {duration}",
    think_no_limit: "Time to think: no limit",
    questions_later: "You will see each question when you reach it.",
    audio_only: "This interview records audio only: no camera is needed.",
    minutes_unit: "min",
    seconds_unit: "s",
    privacy_heading: "Your privacy",
    privacy_text: "Your answers are recorded ({what}) and stored by {org}. Only {org}'s recruiters, and colleagues they choose to share them with, can see them. They are kept for at most {months} months after the deadline and then deleted.",
    consent_label: "I have read this and agree that my answers are recorded and processed as described.",
    consent_required: "Please tick the box to agree before you start.",
    start: "Start now",
    continue_label: "Continue",
    answered_so_far: "{n} of {total} questions answered.",
    closed_expired: "The deadline for answering this video interview has expired.",
    closed_disabled: "This video interview link is no longer active.",
    closed_withdrawn: "You have withdrawn from this video interview.",
    closed_erased: "This video interview link is closed: the candidate's data was deleted at the organization's request.",
    privacy_notice_link: "Privacy notice of {org}",
    closed_answered: "You have answered this video interview. Thank you!",
    closed_contact: "If you have questions, please contact {name} at {org}:",
};

static FI: CandidateTexts = CandidateTexts {
    html_lang: "fi",
    page_title: "Videohaastattelu",
    invites: "{org} kutsuu sinut vastaamaan tähän videohaastatteluun.",
    deadline_label: "Vastaa viimeistään",
    deadline_note: "Voit vastata vielä koko kyseisen päivän ajan (aikavyöhyke {zone}).",
    questions_count: "Kysymyksiä: {count}",
    answer_time: "Vastausaika enintään {duration}",
    takes: "Vastausyrityksiä: {takes}",
    think_time: "Miettimisaika: {duration}",
    think_no_limit: "Miettimisaika: ei rajaa",
    questions_later: "Näet kunkin kysymyksen, kun pääset siihen.",
    audio_only: "Tässä haastattelussa tallennetaan vain ääni: kameraa ei tarvita.",
    minutes_unit: "min",
    seconds_unit: "s",
    privacy_heading: "Yksityisyytesi",
    privacy_text: "Vastauksesi tallennetaan ({what}) ja {org} säilyttää ne. Vain organisaation {org} rekrytoijat ja kollegat, joille he ne jakavat, näkevät ne. Niitä säilytetään enintään {months} kuukautta vastausajan päättymisen jälkeen, minkä jälkeen ne poistetaan.",
    consent_label: "Olen lukenut tämän ja hyväksyn, että vastaukseni tallennetaan ja käsitellään kuvatulla tavalla.",
    consent_required: "Hyväksy ehdot rastittamalla ruutu ennen aloittamista.",
    start: "Aloita nyt",
    continue_label: "Jatka",
    answered_so_far: "Vastattu {n}/{total} kysymykseen.",
    closed_expired: "Tämän videohaastattelun vastausaika on päättynyt.",
    closed_disabled: "Tämä videohaastattelun linkki ei ole enää käytössä.",
    closed_withdrawn: "Olet vetäytynyt tästä videohaastattelusta.",
    closed_erased: "Tämä videohaastattelun linkki on suljettu: hakijan tiedot on poistettu organisaation pyynnöstä.",
    privacy_notice_link: "Organisaation {org} tietosuojaseloste",
    closed_answered: "Olet vastannut tähän videohaastatteluun. Kiitos!",
    closed_contact: "Jos sinulla on kysyttävää, ota yhteyttä: {name}, {org}:",
};

static SV: CandidateTexts = CandidateTexts {
    html_lang: "sv",
    page_title: "Videointervju",
    invites: "{org} bjuder in dig att svara på den här videointervjun.",
    deadline_label: "Svara senast",
    deadline_note: "Du kan svara till slutet av den dagen (tidszon {zone}).",
    questions_count: "Frågor: {count}",
    answer_time: "Svarstid högst {duration}",
    takes: "Försök: {takes}",
    think_time: "Betänketid: {duration}",
    think_no_limit: "Betänketid: ingen gräns",
    questions_later: "Du ser varje fråga när du kommer till den.",
    audio_only: "Den här intervjun spelar bara in ljud: ingen kamera behövs.",
    minutes_unit: "min",
    seconds_unit: "s",
    privacy_heading: "Din integritet",
    privacy_text: "Dina svar spelas in ({what}) och lagras av {org}. Endast rekryterare hos {org}, och kolleger som de delar dem med, kan se dem. De sparas högst {months} månader efter sista svarsdagen och raderas sedan.",
    consent_label: "Jag har läst detta och godkänner att mina svar spelas in och behandlas enligt beskrivningen.",
    consent_required: "Kryssa i rutan för att godkänna innan du börjar.",
    start: "Börja nu",
    continue_label: "Fortsätt",
    answered_so_far: "{n} av {total} frågor besvarade.",
    closed_expired: "Tiden för att svara på den här videointervjun har gått ut.",
    closed_disabled: "Den här länken till videointervjun är inte längre aktiv.",
    closed_withdrawn: "Du har dragit dig ur den här videointervjun.",
    closed_erased: "Den här länken till videointervjun är stängd: kandidatens uppgifter har raderats på organisationens begäran.",
    privacy_notice_link: "Integritetspolicy för {org}",
    closed_answered: "Du har svarat på den här videointervjun. Tack!",
    closed_contact: "Om du har frågor, kontakta {name} på {org}:",
};

static EL: CandidateTexts = CandidateTexts {
    html_lang: "el",
    page_title: "Συνέντευξη με βίντεο",
    invites: "Η {org} σας προσκαλεί να απαντήσετε σε αυτή τη συνέντευξη με βίντεο.",
    deadline_label: "Απαντήστε έως",
    deadline_note: "Μπορείτε να απαντήσετε μέχρι το τέλος εκείνης της ημέρας (ώρα {zone}).",
    questions_count: "Ερωτήσεις: {count}",
    answer_time: "Χρόνος απάντησης έως {duration}",
    takes: "Προσπάθειες: {takes}",
    think_time: "Χρόνος σκέψης: {duration}",
    think_no_limit: "Χρόνος σκέψης: χωρίς όριο",
    questions_later: "Θα δείτε κάθε ερώτηση όταν φτάσετε σε αυτήν.",
    audio_only: "Αυτή η συνέντευξη καταγράφει μόνο ήχο: δεν χρειάζεται κάμερα.",
    minutes_unit: "λεπ.",
    seconds_unit: "δευτ.",
    privacy_heading: "Το απόρρητό σας",
    privacy_text: "Οι απαντήσεις σας καταγράφονται ({what}) και αποθηκεύονται από την {org}. Μόνο οι υπεύθυνοι προσλήψεων της {org}, και συνάδελφοι με τους οποίους τις μοιράζονται, μπορούν να τις δουν. Διατηρούνται το πολύ {months} μήνες μετά την προθεσμία και στη συνέχεια διαγράφονται.",
    consent_label: "Διάβασα τα παραπάνω και συμφωνώ να καταγραφούν και να επεξεργαστούν οι απαντήσεις μου όπως περιγράφεται.",
    consent_required: "Επιλέξτε το πλαίσιο για να συμφωνήσετε πριν ξεκινήσετε.",
    start: "Έναρξη τώρα",
    continue_label: "Συνέχεια",
    answered_so_far: "Απαντήθηκαν {n} από {total} ερωτήσεις.",
    closed_expired: "Η προθεσμία για να απαντήσετε σε αυτή τη συνέντευξη με βίντεο έχει λήξει.",
    closed_disabled: "Αυτός ο σύνδεσμος της συνέντευξης δεν είναι πλέον ενεργός.",
    closed_withdrawn: "Έχετε αποσυρθεί από αυτή τη συνέντευξη με βίντεο.",
    closed_erased: "Αυτός ο σύνδεσμος της συνέντευξης έκλεισε: τα δεδομένα του υποψηφίου διαγράφηκαν κατόπιν αιτήματος του οργανισμού.",
    privacy_notice_link: "Πολιτική απορρήτου της {org}",
    closed_answered: "Έχετε απαντήσει σε αυτή τη συνέντευξη με βίντεο. Ευχαριστούμε!",
    closed_contact: "Για ερωτήσεις, επικοινωνήστε με {name} ({org}):",
};

static DE: CandidateTexts = CandidateTexts {
    html_lang: "de",
    page_title: "Videointerview",
    invites: "{org} lädt Sie ein, dieses Videointerview zu beantworten.",
    deadline_label: "Antworten bis",
    deadline_note: "Das Datum ist inklusive: Sie können bis zum Ende dieses Tages antworten (Zeitzone {zone}).",
    questions_count: "Fragen: {count}",
    answer_time: "Antwortzeit bis zu {duration}",
    takes: "Versuche: {takes}",
    think_time: "Bedenkzeit: {duration}",
    think_no_limit: "Bedenkzeit: unbegrenzt",
    questions_later: "Sie sehen jede Frage, wenn Sie bei ihr ankommen.",
    audio_only: "Bei diesem Interview wird nur Ton aufgenommen: Sie brauchen keine Kamera.",
    minutes_unit: "Min.",
    seconds_unit: "Sek.",
    privacy_heading: "Ihre Privatsphäre",
    privacy_text: "Ihre Antworten werden aufgezeichnet ({what}) und von {org} gespeichert. Nur die Recruiter von {org} und Kollegen, mit denen sie sie teilen, können sie sehen. Sie werden höchstens {months} Monate nach der Frist aufbewahrt und dann gelöscht.",
    consent_label: "Ich habe dies gelesen und bin einverstanden, dass meine Antworten wie beschrieben aufgezeichnet und verarbeitet werden.",
    consent_required: "Bitte setzen Sie vor dem Start das Häkchen, um zuzustimmen.",
    start: "Jetzt starten",
    continue_label: "Weiter",
    answered_so_far: "{n} von {total} Fragen beantwortet.",
    closed_expired: "Die Frist für die Beantwortung dieses Videointerviews ist abgelaufen.",
    closed_disabled: "Dieser Link zum Videointerview ist nicht mehr aktiv.",
    closed_withdrawn: "Sie haben sich von diesem Videointerview zurückgezogen.",
    closed_erased: "Dieser Link zum Videointerview ist geschlossen: Die Daten des Kandidaten wurden auf Wunsch der Organisation gelöscht.",
    privacy_notice_link: "Datenschutzhinweise von {org}",
    closed_answered: "Sie haben dieses Videointerview beantwortet. Vielen Dank!",
    closed_contact: "Bei Fragen wenden Sie sich bitte an {name} ({org}):",
};

static FR: CandidateTexts = CandidateTexts {
    html_lang: "fr",
    page_title: "Entretien vidéo",
    invites: "{org} vous invite à répondre à cet entretien vidéo.",
    deadline_label: "Répondre avant le",
    deadline_note: "Cette date est incluse : vous pouvez répondre jusqu'à la fin de cette journée (heure {zone}).",
    questions_count: "Questions : {count}",
    answer_time: "Temps de réponse jusqu'à {duration}",
    takes: "Essais : {takes}",
    think_time: "Temps de réflexion : {duration}",
    think_no_limit: "Temps de réflexion : illimité",
    questions_later: "Vous découvrirez chaque question en y arrivant.",
    audio_only: "Cet entretien n'enregistre que le son : aucune caméra n'est nécessaire.",
    minutes_unit: "min",
    seconds_unit: "s",
    privacy_heading: "Votre vie privée",
    privacy_text: "Vos réponses sont enregistrées ({what}) et conservées par {org}. Seuls les recruteurs de {org}, et les collègues avec qui ils les partagent, peuvent les voir. Elles sont conservées au plus {months} mois après la date limite, puis supprimées.",
    consent_label: "J'ai lu ces informations et j'accepte que mes réponses soient enregistrées et traitées comme décrit.",
    consent_required: "Cochez la case pour donner votre accord avant de commencer.",
    start: "Commencer",
    continue_label: "Continuer",
    answered_so_far: "Questions répondues : {n} sur {total}.",
    closed_expired: "La date limite pour répondre à cet entretien vidéo est dépassée.",
    closed_disabled: "Ce lien d'entretien vidéo n'est plus actif.",
    closed_withdrawn: "Vous vous êtes retiré(e) de cet entretien vidéo.",
    closed_erased: "Ce lien d'entretien vidéo est fermé : les données du candidat ont été supprimées à la demande de l'organisation.",
    privacy_notice_link: "Politique de confidentialité de {org}",
    closed_answered: "Vous avez répondu à cet entretien vidéo. Merci !",
    closed_contact: "Pour toute question, contactez {name} ({org}) :",
};

static ES: CandidateTexts = CandidateTexts {
    html_lang: "es",
    page_title: "Entrevista en vídeo",
    invites: "{org} te invita a responder esta entrevista en vídeo.",
    deadline_label: "Responde antes del",
    deadline_note: "La fecha está incluida: puedes responder hasta el final de ese día (hora de {zone}).",
    questions_count: "Preguntas: {count}",
    answer_time: "Tiempo de respuesta hasta {duration}",
    takes: "Intentos: {takes}",
    think_time: "Tiempo para pensar: {duration}",
    think_no_limit: "Tiempo para pensar: sin límite",
    questions_later: "Verás cada pregunta cuando llegues a ella.",
    audio_only: "Esta entrevista solo graba audio: no necesitas cámara.",
    minutes_unit: "min",
    seconds_unit: "s",
    privacy_heading: "Tu privacidad",
    privacy_text: "Tus respuestas se graban ({what}) y las guarda {org}. Solo los reclutadores de {org}, y los colegas con quienes las compartan, pueden verlas. Se conservan como máximo {months} meses después de la fecha límite y luego se eliminan.",
    consent_label: "He leído esto y acepto que mis respuestas se graben y se traten como se describe.",
    consent_required: "Marca la casilla para aceptar antes de empezar.",
    start: "Empezar ahora",
    continue_label: "Continuar",
    answered_so_far: "{n} de {total} preguntas respondidas.",
    closed_expired: "El plazo para responder a esta entrevista en vídeo ha vencido.",
    closed_disabled: "Este enlace a la entrevista en vídeo ya no está activo.",
    closed_withdrawn: "Te has retirado de esta entrevista en vídeo.",
    closed_erased: "Este enlace a la entrevista en vídeo está cerrado: los datos del candidato se eliminaron a petición de la organización.",
    privacy_notice_link: "Aviso de privacidad de {org}",
    closed_answered: "Has respondido a esta entrevista en vídeo. ¡Gracias!",
    closed_contact: "Si tienes preguntas, ponte en contacto con {name} ({org}):",
};

/// What is recorded, for the privacy notice's `{what}`.
pub fn recorded_what(lang: Language, audio_only: bool) -> &'static str {
    match (lang, audio_only) {
        (Language::En, false) => "video and sound",
        (Language::En, true) => "sound only",
        (Language::Fi, false) => "kuva ja ääni",
        (Language::Fi, true) => "vain ääni",
        (Language::Sv, false) => "bild och ljud",
        (Language::Sv, true) => "endast ljud",
        (Language::El, false) => "εικόνα και ήχος",
        (Language::El, true) => "μόνο ήχος",
        (Language::De, false) => "Bild und Ton",
        (Language::De, true) => "nur Ton",
        (Language::Fr, false) => "image et son",
        (Language::Fr, true) => "son uniquement",
        (Language::Es, false) => "imagen y sonido",
        (Language::Es, true) => "solo sonido",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_placeholder_and_no_english_left() {
        for lang in Language::ALL {
            let t = candidate_texts(lang);
            assert!(t.invites.contains("{org}") && t.deadline_note.contains("{zone}"));
            assert!(t.questions_count.contains("{count}") && t.takes.contains("{takes}"));
            assert!(t.answer_time.contains("{duration}") && t.think_time.contains("{duration}"));
            assert!(t.privacy_text.contains("{org}") && t.privacy_text.contains("{months}"));
            assert!(t.privacy_text.contains("{what}") && t.closed_contact.contains("{org}"));
            assert!(t.closed_contact.contains("{name}") && t.answered_so_far.contains("{n}"));
            assert!(t.answered_so_far.contains("{total}"));
            if lang != Language::En {
                assert_ne!(t.start, EN.start, "{lang:?}");
                assert_ne!(t.closed_expired, EN.closed_expired, "{lang:?}");
                assert_ne!(t.consent_label, EN.consent_label, "{lang:?}");
            }
        }
    }

    #[test]
    fn durations_in_the_languages_units() {
        assert_eq!(EN.duration(150), "2 min 30 s");
        assert_eq!(EN.duration(45), "45 s");
        assert_eq!(DE.duration(600), "10 Min.");
    }
}
