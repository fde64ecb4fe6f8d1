//! What Candor says to candidates, in each language the invitation form offers. Placeholders in braces
//! (`{org}`, `{name}` …) are filled by [`fill`]; the results go through askama, which escapes them.

/// The table of `$lang` among the calling module's per-language statics `EN`, `FI`, `SV`, `EL`, `DE`, `FR`, `ES`:
/// a language added to `Language` without its table is a compile error in every module.
macro_rules! per_language {
    ($lang:expr) => {
        match $lang {
            Language::En => &EN,
            Language::Fi => &FI,
            Language::Sv => &SV,
            Language::El => &EL,
            Language::De => &DE,
            Language::Fr => &FR,
            Language::Es => &ES,
        }
    };
}

mod candidate;
mod public;
mod recorder;
pub use candidate::{CandidateTexts, candidate_texts, recorded_what};
pub use public::{PublicTexts, public_texts};
pub use recorder::{RecorderTexts, recorder_texts};

use crate::domain::Language;
use jiff::civil::Date;

/// The texts of the invitation email.
pub struct InvitationTexts {
    pub subject: &'static str,
    pub greeting: &'static str,
    pub intro: &'static str,
    pub deadline: &'static str,
    pub how: &'static str,
    pub needs: &'static str,
    pub button: &'static str,
    pub link_note: &'static str,
    pub footer: &'static str,
    /// The email sent when the deadline is moved later.
    pub extended_subject: &'static str,
    pub extended_intro: &'static str,
    /// The reminder sent some days before the deadline to a candidate who has not finished.
    pub reminder_subject: &'static str,
    pub reminder_intro: &'static str,
}

pub fn invitation_texts(lang: Language) -> &'static InvitationTexts {
    per_language!(lang)
}

/// Replaces `{key}` with its value, for each pair.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// A time zone the way people say it, at `at`: the place and its offset from UTC (`Helsinki, UTC+2`,
/// `Kolkata, UTC+5:30`, `UTC`), rather than the database name (`Europe/Helsinki`).
pub fn zone_for_people(tz: &jiff::tz::TimeZone, at: jiff::Timestamp) -> String {
    let seconds = tz.to_offset(at).seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let (h, m) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
    let offset = match (h, m) {
        (0, 0) => "UTC".to_owned(),
        (h, 0) => format!("UTC{sign}{h}"),
        (h, m) => format!("UTC{sign}{h}:{m:02}"),
    };
    let place = tz.iana_name().and_then(|n| n.rsplit('/').next()).map(|p| p.replace('_', " "));
    match place {
        Some(p) if !p.eq_ignore_ascii_case("UTC") && !p.starts_with("GMT") && offset != p => format!("{p}, {offset}"),
        _ => offset,
    }
}

/// A date written out the way the language writes dates: `31 December 2026`, `31.12.2026`, `31. Dezember 2026` …
pub fn long_date(lang: Language, date: Date) -> String {
    let (d, m, y) = (date.day(), date.month() as usize, date.year());
    let month = |names: [&'static str; 12]| -> &'static str { names[m.clamp(1, 12) - 1] };
    match lang {
        Language::En => format!(
            "{d} {} {y}",
            month([
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December"
            ])
        ),
        Language::Fi => format!("{d}.{m}.{y}"),
        Language::Sv => format!(
            "{d} {} {y}",
            month([
                "januari",
                "februari",
                "mars",
                "april",
                "maj",
                "juni",
                "juli",
                "augusti",
                "september",
                "oktober",
                "november",
                "december"
            ])
        ),
        Language::El => format!(
            "{d} {} {y}",
            month([
                "Ιανουαρίου",
                "Φεβρουαρίου",
                "Μαρτίου",
                "Απριλίου",
                "Μαΐου",
                "Ιουνίου",
                "Ιουλίου",
                "Αυγούστου",
                "Σεπτεμβρίου",
                "Οκτωβρίου",
                "Νοεμβρίου",
                "Δεκεμβρίου"
            ])
        ),
        Language::De => format!(
            "{d}. {} {y}",
            month([
                "Januar",
                "Februar",
                "März",
                "April",
                "Mai",
                "Juni",
                "Juli",
                "August",
                "September",
                "Oktober",
                "November",
                "Dezember"
            ])
        ),
        Language::Fr => format!(
            "{} {} {y}",
            if d == 1 { "1er".to_owned() } else { d.to_string() },
            month([
                "janvier",
                "février",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "août",
                "septembre",
                "octobre",
                "novembre",
                "décembre"
            ])
        ),
        Language::Es => format!(
            "{d} de {} de {y}",
            month([
                "enero",
                "febrero",
                "marzo",
                "abril",
                "mayo",
                "junio",
                "julio",
                "agosto",
                "septiembre",
                "octubre",
                "noviembre",
                "diciembre"
            ])
        ),
    }
}

static EN: InvitationTexts = InvitationTexts {
    subject: "Invitation for video interview from {org}",
    greeting: "Hello {name},",
    intro: "{org} invites you to a video interview: {title}.",
    deadline: "Please answer by {date}. The date is inclusive: you can answer until the end of that day ({zone} time).",
    how: "Open your personal link to start. You will check your camera and microphone and can practise first; then you answer {count} questions on video. You can pause and continue later.",
    needs: "You need a device with a camera and a microphone, a quiet place, and about {minutes} minutes.",
    button: "Start the video interview",
    link_note: "If the button does not work, copy this address into your browser:",
    footer: "This link is personal; please do not share it. Sent on behalf of {org}.",
    extended_subject: "New deadline for your video interview from {org}",
    extended_intro: "The deadline of your video interview “{title}” with {org} has been moved.",
    reminder_subject: "Reminder: your video interview from {org}",
    reminder_intro: "This is a reminder: your video interview “{title}” with {org} is waiting for your answers.",
};

static FI: InvitationTexts = InvitationTexts {
    subject: "Kutsu videohaastatteluun: {org}",
    greeting: "Hei {name},",
    intro: "{org} kutsuu sinut videohaastatteluun: {title}.",
    deadline: "Vastaa viimeistään {date}. Voit vastata vielä koko kyseisen päivän ajan (aikavyöhyke {zone}).",
    how: "Aloita avaamalla henkilökohtainen linkkisi. Tarkistat ensin kamerasi ja mikrofonisi ja voit harjoitella; sen jälkeen vastaat {count} kysymykseen videolla. Voit pitää taukoa ja jatkaa myöhemmin.",
    needs: "Tarvitset laitteen, jossa on kamera ja mikrofoni, rauhallisen paikan ja noin {minutes} minuuttia aikaa.",
    button: "Aloita videohaastattelu",
    link_note: "Jos painike ei toimi, kopioi tämä osoite selaimeesi:",
    footer: "Linkki on henkilökohtainen, älä jaa sitä. Lähetetty organisaation {org} puolesta.",
    extended_subject: "Uusi vastausaika videohaastatteluusi: {org}",
    extended_intro: "Videohaastattelusi ”{title}” ({org}) vastausaikaa on muutettu.",
    reminder_subject: "Muistutus: videohaastattelusi, {org}",
    reminder_intro: "Muistutus: videohaastattelusi ”{title}” ({org}) odottaa vastauksiasi.",
};

static SV: InvitationTexts = InvitationTexts {
    subject: "Inbjudan till videointervju från {org}",
    greeting: "Hej {name},",
    intro: "{org} bjuder in dig till en videointervju: {title}.",
    deadline: "Svara senast {date}. Du kan svara till slutet av den dagen (tidszon {zone}).",
    how: "Öppna din personliga länk för att börja. Du kontrollerar kamera och mikrofon och kan öva först; sedan svarar du på {count} frågor på video. Du kan pausa och fortsätta senare.",
    needs: "Du behöver en enhet med kamera och mikrofon, en lugn plats och ungefär {minutes} minuter.",
    button: "Starta videointervjun",
    link_note: "Om knappen inte fungerar, kopiera den här adressen till din webbläsare:",
    footer: "Länken är personlig; dela den inte. Skickat för {org}.",
    extended_subject: "Ny sista dag för din videointervju från {org}",
    extended_intro: "Sista dagen för din videointervju ”{title}” hos {org} har ändrats.",
    reminder_subject: "Påminnelse: din videointervju från {org}",
    reminder_intro: "En påminnelse: din videointervju ”{title}” hos {org} väntar på dina svar.",
};

static EL: InvitationTexts = InvitationTexts {
    subject: "Πρόσκληση σε συνέντευξη με βίντεο από {org}",
    greeting: "Γεια σας {name},",
    intro: "Η {org} σας προσκαλεί σε συνέντευξη με βίντεο: {title}.",
    deadline: "Απαντήστε έως τις {date}. Μπορείτε να απαντήσετε μέχρι το τέλος εκείνης της ημέρας (ώρα {zone}).",
    how: "Ανοίξτε τον προσωπικό σας σύνδεσμο για να ξεκινήσετε. Θα ελέγξετε την κάμερα και το μικρόφωνο και μπορείτε πρώτα να εξασκηθείτε· μετά απαντάτε σε {count} ερωτήσεις με βίντεο. Μπορείτε να κάνετε παύση και να συνεχίσετε αργότερα.",
    needs: "Χρειάζεστε μια συσκευή με κάμερα και μικρόφωνο, ένα ήσυχο μέρος και περίπου {minutes} λεπτά.",
    button: "Έναρξη της συνέντευξης",
    link_note: "Αν το κουμπί δεν λειτουργεί, αντιγράψτε αυτή τη διεύθυνση στον περιηγητή σας:",
    footer: "Ο σύνδεσμος είναι προσωπικός· μην τον μοιραστείτε. Εστάλη εκ μέρους της {org}.",
    extended_subject: "Νέα προθεσμία για τη συνέντευξή σας με βίντεο από {org}",
    extended_intro: "Η προθεσμία της συνέντευξής σας με βίντεο «{title}» με την {org} άλλαξε.",
    reminder_subject: "Υπενθύμιση: η συνέντευξή σας με βίντεο από {org}",
    reminder_intro: "Υπενθύμιση: η συνέντευξή σας με βίντεο «{title}» με την {org} περιμένει τις απαντήσεις σας.",
};

static DE: InvitationTexts = InvitationTexts {
    subject: "Einladung zum Videointerview von {org}",
    greeting: "Hallo {name},",
    intro: "{org} lädt Sie zu einem Videointerview ein: {title}.",
    deadline: "Bitte antworten Sie bis zum {date}. Sie können bis zum Ende dieses Tages antworten (Zeitzone {zone}).",
    how: "Öffnen Sie Ihren persönlichen Link, um zu beginnen. Sie prüfen Kamera und Mikrofon und können zuerst üben; dann beantworten Sie {count} Fragen per Video. Sie können pausieren und später weitermachen.",
    needs: "Sie brauchen ein Gerät mit Kamera und Mikrofon, einen ruhigen Ort und etwa {minutes} Minuten.",
    button: "Videointerview starten",
    link_note: "Falls die Schaltfläche nicht funktioniert, kopieren Sie diese Adresse in Ihren Browser:",
    footer: "Dieser Link ist persönlich; bitte geben Sie ihn nicht weiter. Gesendet im Auftrag von {org}.",
    extended_subject: "Neue Frist für Ihr Videointerview von {org}",
    extended_intro: "Die Frist Ihres Videointerviews „{title}“ bei {org} wurde geändert.",
    reminder_subject: "Erinnerung: Ihr Videointerview von {org}",
    reminder_intro: "Eine Erinnerung: Ihr Videointerview „{title}“ bei {org} wartet auf Ihre Antworten.",
};

static FR: InvitationTexts = InvitationTexts {
    subject: "Invitation à un entretien vidéo de la part de {org}",
    greeting: "Bonjour {name},",
    intro: "{org} vous invite à un entretien vidéo : {title}.",
    deadline: "Merci de répondre au plus tard le {date}. Cette date est incluse : vous pouvez répondre jusqu'à la fin de cette journée (heure {zone}).",
    how: "Ouvrez votre lien personnel pour commencer. Vous vérifierez votre caméra et votre micro et pourrez vous entraîner ; vous répondrez ensuite à {count} questions en vidéo. Vous pouvez faire une pause et reprendre plus tard.",
    needs: "Il vous faut un appareil avec caméra et micro, un endroit calme et environ {minutes} minutes.",
    button: "Commencer l'entretien vidéo",
    link_note: "Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur :",
    footer: "Ce lien est personnel ; merci de ne pas le partager. Envoyé au nom de {org}.",
    extended_subject: "Nouvelle date limite pour votre entretien vidéo avec {org}",
    extended_intro: "La date limite de votre entretien vidéo « {title} » avec {org} a changé.",
    reminder_subject: "Rappel : votre entretien vidéo avec {org}",
    reminder_intro: "Petit rappel : votre entretien vidéo « {title} » avec {org} attend vos réponses.",
};

static ES: InvitationTexts = InvitationTexts {
    subject: "Invitación a una entrevista en vídeo de {org}",
    greeting: "Hola, {name}:",
    intro: "{org} te invita a una entrevista en vídeo: {title}.",
    deadline: "Responde a más tardar el {date}. La fecha está incluida: puedes responder hasta el final de ese día (hora de {zone}).",
    how: "Abre tu enlace personal para empezar. Comprobarás la cámara y el micrófono y podrás practicar primero; después responderás {count} preguntas en vídeo. Puedes hacer una pausa y continuar más tarde.",
    needs: "Necesitas un dispositivo con cámara y micrófono, un lugar tranquilo y unos {minutes} minutos.",
    button: "Empezar la entrevista en vídeo",
    link_note: "Si el botón no funciona, copia esta dirección en tu navegador:",
    footer: "Este enlace es personal; no lo compartas. Enviado en nombre de {org}.",
    extended_subject: "Nueva fecha límite para tu entrevista en vídeo de {org}",
    extended_intro: "La fecha límite de tu entrevista en vídeo «{title}» con {org} ha cambiado.",
    reminder_subject: "Recordatorio: tu entrevista en vídeo de {org}",
    reminder_intro: "Un recordatorio: tu entrevista en vídeo «{title}» con {org} espera tus respuestas.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_the_way_each_language_writes_them() {
        let date: Date = "2026-12-31".parse().unwrap();
        assert_eq!(long_date(Language::En, date), "31 December 2026");
        assert_eq!(long_date(Language::Fi, date), "31.12.2026");
        assert_eq!(long_date(Language::Sv, date), "31 december 2026");
        assert_eq!(long_date(Language::De, date), "31. Dezember 2026");
        assert_eq!(long_date(Language::Fr, "2027-01-01".parse().unwrap()), "1er janvier 2027");
        assert_eq!(long_date(Language::Es, date), "31 de diciembre de 2026");
        assert_eq!(long_date(Language::El, date), "31 Δεκεμβρίου 2026");
    }

    #[test]
    fn every_language_has_every_placeholder() {
        for lang in Language::ALL {
            let t = invitation_texts(lang);
            assert!(t.subject.contains("{org}") && t.greeting.contains("{name}") && t.intro.contains("{title}"));
            assert!(t.deadline.contains("{date}") && t.deadline.contains("{zone}"));
            assert!(t.how.contains("{count}") && t.needs.contains("{minutes}"));
            assert!(t.extended_subject.contains("{org}") && t.extended_intro.contains("{title}"));
            assert!(t.reminder_subject.contains("{org}") && t.reminder_intro.contains("{title}"));
            let p = public_texts(lang);
            assert!(p.lead.contains("{org}") && p.sent_text.contains("{email}"), "{lang:?}");
            assert_eq!(p.html_lang, lang.code());
        }
    }
}

#[cfg(test)]
mod zone_tests {
    use super::zone_for_people;

    #[test]
    fn zones_are_said_as_places_and_offsets() {
        let winter: jiff::Timestamp = "2099-12-31T12:00:00Z".parse().unwrap();
        let summer: jiff::Timestamp = "2099-07-01T12:00:00Z".parse().unwrap();
        let zone = |n: &str| jiff::tz::TimeZone::get(n).unwrap();
        assert_eq!(zone_for_people(&zone("Europe/Helsinki"), winter), "Helsinki, UTC+2");
        assert_eq!(zone_for_people(&zone("Europe/Helsinki"), summer), "Helsinki, UTC+3");
        assert_eq!(zone_for_people(&zone("Asia/Kolkata"), winter), "Kolkata, UTC+5:30");
        assert_eq!(zone_for_people(&zone("America/New_York"), winter), "New York, UTC-5");
        assert_eq!(zone_for_people(&zone("UTC"), winter), "UTC");
    }
}
