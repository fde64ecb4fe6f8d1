use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The key a name is searched by: lower case, accents stripped, letters that do not decompose folded by hand
/// (`Öström` → `ostrom`, `Ærø` → `aero`), runs of white space collapsed to one space.
pub fn search_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    for c in s.nfd() {
        // Accents, control and invisible format characters (NUL, zero-width, bidi marks) are not part of a name.
        if is_combining_mark(c) || (c.is_control() && !c.is_whitespace()) || super::fields::is_invisible(c) {
            continue;
        }
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
            continue;
        }
        last_space = false;
        match c {
            'ø' | 'Ø' => out.push('o'),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ß' | 'ẞ' => out.push_str("ss"),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
            'þ' | 'Þ' => out.push_str("th"),
            'ı' => out.push('i'),
            'ς' => out.push('σ'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(search_key("Järvinen"), "jarvinen");
        assert_eq!(search_key("Öström"), "ostrom");
        assert_eq!(search_key("  Søren   Kierkegaard "), "soren kierkegaard");
        assert_eq!(search_key("Straße"), "strasse");
        assert_eq!(search_key("Łukasz"), "lukasz");
        assert_eq!(search_key("Ελένη Παπαδοπούλου"), "ελενη παπαδοπουλου");
        assert_eq!(search_key("Πάνος"), "πανοσ");
        assert_eq!(search_key("ÅSA"), "asa");
    }

    #[test]
    fn a_folded_key_folds_to_itself() {
        for s in ["Järvinen", "Ærø", "Ğül", "Ωmega", "Čapek"] {
            let k = search_key(s);
            assert_eq!(search_key(&k), k);
        }
    }
}
