//! A candidate's timeline in words, for the candidate view and the answers page.

pub(crate) fn describe_event(kind: &str, detail: &serde_json::Value) -> String {
    match kind {
        "created" => "Candidate created".into(),
        "imported" => "Imported from a CSV file".into(),
        "invited" if detail["via_public_link"].as_bool() == Some(true) => format!(
            "Registered through the public link of “{}” at {}, deadline {}",
            detail["interview"].as_str().unwrap_or("?"),
            detail["email"].as_str().unwrap_or("?"),
            detail["deadline"].as_str().unwrap_or("?")
        ),
        "invited" => format!(
            "Invited to “{}” at {}, deadline {}",
            detail["interview"].as_str().unwrap_or("?"),
            detail["email"].as_str().unwrap_or("?"),
            detail["deadline"].as_str().unwrap_or("?")
        ),
        "invitation_resent" => format!("Invitation to “{}” sent again", detail["interview"].as_str().unwrap_or("?")),
        "invitation_disabled" => format!("Invitation to “{}” disabled", detail["interview"].as_str().unwrap_or("?")),
        "invitation_edited" => {
            let fields: Vec<&str> =
                detail["fields"].as_array().map(|a| a.iter().filter_map(|f| f.as_str()).collect()).unwrap_or_default();
            let mut s = format!("Invitation edited: {}", fields.join(", "));
            if detail["reopened"].as_bool() == Some(true) {
                s.push_str(" (open again)");
            }
            s
        }
        "invitation_expired" => format!("Invitation expired (deadline {})", detail["deadline"].as_str().unwrap_or("?")),
        "invitation_deleted" => format!("Invitation to “{}” deleted", detail["interview"].as_str().unwrap_or("?")),
        "opened" => format!("Opened the invitation to “{}”", detail["interview"].as_str().unwrap_or("?")),
        "started" => format!("Started answering “{}”", detail["interview"].as_str().unwrap_or("?")),
        "answered" => format!(
            "Answered question {} of “{}”",
            detail["question"].as_i64().unwrap_or(0),
            detail["interview"].as_str().unwrap_or("?")
        ),
        "completed" => format!("Completed “{}”", detail["interview"].as_str().unwrap_or("?")),
        "withdrew" => format!("Withdrew from “{}”", detail["interview"].as_str().unwrap_or("?")),
        "consented" => match detail["version"].as_str() {
            Some(v) => format!(
                "Agreed to be recorded for “{}” and started (privacy notice version {v})",
                detail["interview"].as_str().unwrap_or("?")
            ),
            None => format!("Agreed to be recorded for “{}” and started", detail["interview"].as_str().unwrap_or("?")),
        },
        "exported" => format!(
            "Their data was exported ({} recording{})",
            detail["recordings"].as_i64().unwrap_or(0),
            if detail["recordings"].as_i64() == Some(1) { "" } else { "s" }
        ),
        "rated" => {
            let what = match detail["question"].as_i64() {
                Some(q) => format!("question {q} of “{}”", detail["interview"].as_str().unwrap_or("?")),
                None => format!("“{}” overall", detail["interview"].as_str().unwrap_or("?")),
            };
            match detail["stars"].as_str() {
                Some(stars) => format!("Rated {what}: {stars}"),
                None => format!("Removed the rating of {what}"),
            }
        }
        "commented" => match detail["question"].as_i64() {
            Some(q) => format!("Commented on question {q} of “{}”", detail["interview"].as_str().unwrap_or("?")),
            None => format!("Commented on “{}”", detail["interview"].as_str().unwrap_or("?")),
        },
        "scored" => {
            let scores: Vec<String> = detail["scores"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|s| match s["score"].as_i64() {
                            Some(n) => format!("{} {n}", s["criterion"].as_str().unwrap_or("?")),
                            None => format!("{} removed", s["criterion"].as_str().unwrap_or("?")),
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!("Scored “{}”: {}", detail["interview"].as_str().unwrap_or("?"), scores.join(", "))
        }
        "decided" => format!(
            "Decision on “{}”: {}",
            detail["interview"].as_str().unwrap_or("?"),
            crate::domain::Decision::parse(detail["decision"].as_str().unwrap_or("")).map_or("?", |d| d.label())
        ),
        "comment_edited" => format!("Edited a comment on “{}”", detail["interview"].as_str().unwrap_or("?")),
        "comment_deleted" => format!("Deleted a comment on “{}”", detail["interview"].as_str().unwrap_or("?")),
        "share_created" => format!(
            "Created a share link to “{}” for {} days",
            detail["interview"].as_str().unwrap_or("?"),
            detail["days"].as_i64().unwrap_or(0)
        ),
        "share_revoked" => format!("Revoked a share link to “{}”", detail["interview"].as_str().unwrap_or("?")),
        "share_opened" => format!("Opened the share link to “{}”", detail["interview"].as_str().unwrap_or("?")),
        "reminded" => format!(
            "Reminded of “{}” (deadline {})",
            detail["interview"].as_str().unwrap_or("?"),
            detail["deadline"].as_str().unwrap_or("?")
        ),
        "media_deleted" => format!(
            "Recordings of “{}” deleted ({} months after the deadline)",
            detail["interview"].as_str().unwrap_or("?"),
            detail["months"].as_i64().unwrap_or(0)
        ),
        "edited" => {
            let fields: Vec<String> = detail["fields"]
                .as_array()
                .map(|a| a.iter().filter_map(|f| f.as_str()).map(|f| f.replace('_', " ")).collect())
                .unwrap_or_default();
            if fields.is_empty() { "Edited".into() } else { format!("Edited: {}", fields.join(", ")) }
        }
        other => other.replace('_', " "),
    }
}
