//! What a public link's page says, in the language the recruiter chose for it.

use crate::domain::Language;

pub struct PublicTexts {
    pub html_lang: &'static str,
    pub title: &'static str,
    /// `{org}`.
    pub lead: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: &'static str,
    pub access_code: &'static str,
    /// The honeypot's label (people do not see the field).
    pub leave_empty: &'static str,
    pub submit: &'static str,
    pub sent_heading: &'static str,
    /// `{email}`.
    pub sent_text: &'static str,
    pub closed: &'static str,
    pub too_many: &'static str,
    pub first_name_error: &'static str,
    pub last_name_error: &'static str,
    pub email_error: &'static str,
    pub code_error: &'static str,
}

pub fn public_texts(lang: Language) -> &'static PublicTexts {
    per_language!(lang)
}

static EN: PublicTexts = PublicTexts {
    html_lang: "en",
    title: "Register for the video interview",
    lead: "{org} invites you to answer this video interview. Enter your name and email address: we email you your personal link, and you answer from there.",
    first_name: "First name",
    last_name: "Last name",
    email: "Email address",
    access_code: "Access code",
    leave_empty: "Leave this field empty",
    submit: "Email me my link",
    sent_heading: "Check your email",
    sent_text: "A message with your personal link to the video interview is on its way to {email}. Open the interview from that message. If it does not arrive within a few minutes, look in your spam folder.",
    closed: "This link no longer takes registrations for the video interview.",
    too_many: "Too many registrations came from your network in the last hour. Please try again later.",
    first_name_error: "Enter your first name (at most 100 characters).",
    last_name_error: "Enter your last name (at most 100 characters).",
    email_error: "Enter a valid email address, like name@example.com.",
    code_error: "This access code is not right. Check the code you were given.",
};

static FI: PublicTexts = PublicTexts {
    html_lang: "fi",
    title: "Ilmoittaudu videohaastatteluun",
    lead: "{org} kutsuu sinut vastaamaan tähän videohaastatteluun. Kirjoita nimesi ja sähköpostiosoitteesi: lähetämme henkilökohtaisen linkkisi sähköpostiin, ja vastaat sen kautta.",
    first_name: "Etunimi",
    last_name: "Sukunimi",
    email: "Sähköpostiosoite",
    access_code: "Pääsykoodi",
    leave_empty: "Jätä tämä kenttä tyhjäksi",
    submit: "Lähetä linkki sähköpostiini",
    sent_heading: "Tarkista sähköpostisi",
    sent_text: "Viesti, jossa on henkilökohtainen linkkisi videohaastatteluun, on matkalla osoitteeseen {email}. Avaa haastattelu viestin linkistä. Jos viestiä ei tule muutamassa minuutissa, katso roskapostikansio.",
    closed: "Tämän linkin kautta ei voi enää ilmoittautua videohaastatteluun.",
    too_many: "Verkostasi on tullut viimeisen tunnin aikana liian monta ilmoittautumista. Yritä myöhemmin uudelleen.",
    first_name_error: "Kirjoita etunimesi (enintään 100 merkkiä).",
    last_name_error: "Kirjoita sukunimesi (enintään 100 merkkiä).",
    email_error: "Kirjoita toimiva sähköpostiosoite, esimerkiksi nimi@esimerkki.fi.",
    code_error: "Pääsykoodi ei ole oikein. Tarkista saamasi koodi.",
};

static SV: PublicTexts = PublicTexts {
    html_lang: "sv",
    title: "Anmäl dig till videointervjun",
    lead: "{org} bjuder in dig att svara på den här videointervjun. Ange ditt namn och din e-postadress: vi mejlar din personliga länk, och du svarar därifrån.",
    first_name: "Förnamn",
    last_name: "Efternamn",
    email: "E-postadress",
    access_code: "Åtkomstkod",
    leave_empty: "Lämna det här fältet tomt",
    submit: "Mejla mig min länk",
    sent_heading: "Kolla din e-post",
    sent_text: "Ett meddelande med din personliga länk till videointervjun är på väg till {email}. Öppna intervjun från det meddelandet. Om det inte kommer inom några minuter, titta i skräpposten.",
    closed: "Den här länken tar inte längre emot anmälningar till videointervjun.",
    too_many: "För många anmälningar har kommit från ditt nätverk den senaste timmen. Försök igen senare.",
    first_name_error: "Ange ditt förnamn (högst 100 tecken).",
    last_name_error: "Ange ditt efternamn (högst 100 tecken).",
    email_error: "Ange en giltig e-postadress, till exempel namn@exempel.se.",
    code_error: "Åtkomstkoden stämmer inte. Kontrollera koden du fick.",
};

static EL: PublicTexts = PublicTexts {
    html_lang: "el",
    title: "Εγγραφή στη συνέντευξη βίντεο",
    lead: "Η {org} σάς προσκαλεί να απαντήσετε σε αυτή τη συνέντευξη βίντεο. Γράψτε το όνομά σας και τη διεύθυνση email σας: θα σας στείλουμε με email τον προσωπικό σας σύνδεσμο και θα απαντήσετε από εκεί.",
    first_name: "Όνομα",
    last_name: "Επώνυμο",
    email: "Διεύθυνση email",
    access_code: "Κωδικός πρόσβασης",
    leave_empty: "Αφήστε αυτό το πεδίο κενό",
    submit: "Στείλτε μου τον σύνδεσμο",
    sent_heading: "Ελέγξτε το email σας",
    sent_text: "Ένα μήνυμα με τον προσωπικό σας σύνδεσμο για τη συνέντευξη βίντεο στέλνεται στο {email}. Ανοίξτε τη συνέντευξη από εκείνο το μήνυμα. Αν δεν φτάσει σε λίγα λεπτά, κοιτάξτε στα ανεπιθύμητα.",
    closed: "Αυτός ο σύνδεσμος δεν δέχεται πλέον εγγραφές για τη συνέντευξη βίντεο.",
    too_many: "Έγιναν πάρα πολλές εγγραφές από το δίκτυό σας την τελευταία ώρα. Δοκιμάστε ξανά αργότερα.",
    first_name_error: "Γράψτε το όνομά σας (έως 100 χαρακτήρες).",
    last_name_error: "Γράψτε το επώνυμό σας (έως 100 χαρακτήρες).",
    email_error: "Γράψτε μια έγκυρη διεύθυνση email, π.χ. onoma@example.gr.",
    code_error: "Ο κωδικός πρόσβασης δεν είναι σωστός. Ελέγξτε τον κωδικό που σας δόθηκε.",
};

static DE: PublicTexts = PublicTexts {
    html_lang: "de",
    title: "Für das Videointerview anmelden",
    lead: "{org} lädt Sie ein, dieses Videointerview zu beantworten. Geben Sie Ihren Namen und Ihre E-Mail-Adresse ein: Wir senden Ihnen Ihren persönlichen Link per E-Mail, und Sie antworten von dort.",
    first_name: "Vorname",
    last_name: "Nachname",
    email: "E-Mail-Adresse",
    access_code: "Zugangscode",
    leave_empty: "Dieses Feld leer lassen",
    submit: "Link per E-Mail senden",
    sent_heading: "Sehen Sie in Ihr Postfach",
    sent_text: "Eine Nachricht mit Ihrem persönlichen Link zum Videointerview ist unterwegs an {email}. Öffnen Sie das Interview aus dieser Nachricht. Kommt sie nicht innerhalb weniger Minuten an, sehen Sie im Spam-Ordner nach.",
    closed: "Über diesen Link sind keine Anmeldungen zum Videointerview mehr möglich.",
    too_many: "Aus Ihrem Netzwerk kamen in der letzten Stunde zu viele Anmeldungen. Bitte versuchen Sie es später noch einmal.",
    first_name_error: "Geben Sie Ihren Vornamen ein (höchstens 100 Zeichen).",
    last_name_error: "Geben Sie Ihren Nachnamen ein (höchstens 100 Zeichen).",
    email_error: "Geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.de.",
    code_error: "Dieser Zugangscode stimmt nicht. Prüfen Sie den Code, den Sie erhalten haben.",
};

static FR: PublicTexts = PublicTexts {
    html_lang: "fr",
    title: "Inscription à l’entretien vidéo",
    lead: "{org} vous invite à répondre à cet entretien vidéo. Indiquez votre nom et votre adresse e-mail : nous vous envoyons votre lien personnel par e-mail, et vous répondez depuis ce lien.",
    first_name: "Prénom",
    last_name: "Nom",
    email: "Adresse e-mail",
    access_code: "Code d’accès",
    leave_empty: "Laissez ce champ vide",
    submit: "M’envoyer mon lien",
    sent_heading: "Consultez votre messagerie",
    sent_text: "Un message contenant votre lien personnel vers l’entretien vidéo est en route vers {email}. Ouvrez l’entretien depuis ce message. S’il n’arrive pas d’ici quelques minutes, regardez dans vos indésirables.",
    closed: "Ce lien n’accepte plus d’inscriptions à l’entretien vidéo.",
    too_many: "Trop d’inscriptions sont venues de votre réseau au cours de la dernière heure. Veuillez réessayer plus tard.",
    first_name_error: "Indiquez votre prénom (100 caractères au plus).",
    last_name_error: "Indiquez votre nom (100 caractères au plus).",
    email_error: "Indiquez une adresse e-mail valide, par exemple nom@exemple.fr.",
    code_error: "Ce code d’accès n’est pas correct. Vérifiez le code que vous avez reçu.",
};

static ES: PublicTexts = PublicTexts {
    html_lang: "es",
    title: "Inscríbete en la entrevista en vídeo",
    lead: "{org} te invita a responder esta entrevista en vídeo. Escribe tu nombre y tu correo electrónico: te enviaremos tu enlace personal por correo y responderás desde allí.",
    first_name: "Nombre",
    last_name: "Apellidos",
    email: "Correo electrónico",
    access_code: "Código de acceso",
    leave_empty: "Deja este campo vacío",
    submit: "Envíame mi enlace",
    sent_heading: "Revisa tu correo",
    sent_text: "Un mensaje con tu enlace personal a la entrevista en vídeo va de camino a {email}. Abre la entrevista desde ese mensaje. Si no llega en unos minutos, mira en la carpeta de correo no deseado.",
    closed: "Este enlace ya no admite inscripciones a la entrevista en vídeo.",
    too_many: "Han llegado demasiadas inscripciones desde tu red en la última hora. Vuelve a intentarlo más tarde.",
    first_name_error: "Escribe tu nombre (como máximo 100 caracteres).",
    last_name_error: "Escribe tus apellidos (como máximo 100 caracteres).",
    email_error: "Escribe un correo electrónico válido, por ejemplo nombre@ejemplo.es.",
    code_error: "Este código de acceso no es correcto. Comprueba el código que te dieron.",
};
