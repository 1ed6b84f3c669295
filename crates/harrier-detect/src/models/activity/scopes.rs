//! How much access an OAuth scope or application permission gives, in points.
//!
//! The weights rank Microsoft Graph and Exchange permissions by what an attacker holding a token gains:
//! reading or sending every mail (`full_access_as_app`, `Mail.*`, `EWS.AccessAsUser.All`), changing mailbox
//! rules (`MailboxSettings.ReadWrite`), reading every file, or taking over the directory. Names compare
//! case-insensitively, and a resource prefix (`https://graph.microsoft.com/Mail.Read`) is ignored.

/// Points per scope, highest access first. Scopes not listed score 0 (`openid`, `profile`, `User.Read`).
const WEIGHTS: [(&str, f64); 32] = [
    ("full_access_as_app", 45.0),
    ("roleManagement.readwrite.directory", 45.0),
    ("application.readwrite.all", 45.0),
    ("approleassignment.readwrite.all", 45.0),
    ("directory.readwrite.all", 40.0),
    ("ews.accessasuser.all", 40.0),
    ("exchange.manageasapp", 40.0),
    ("mail.readwrite", 35.0),
    ("mail.readwrite.all", 40.0),
    ("mailboxsettings.readwrite", 35.0),
    ("mail.read", 30.0),
    ("mail.read.all", 35.0),
    ("mail.send", 30.0),
    ("mail.send.all", 35.0),
    ("imap.accessasuser.all", 30.0),
    ("pop.accessasuser.all", 30.0),
    ("smtp.send", 25.0),
    ("files.readwrite.all", 30.0),
    ("sites.readwrite.all", 25.0),
    ("sites.fullcontrol.all", 35.0),
    ("files.read.all", 20.0),
    ("sites.read.all", 15.0),
    ("user.readwrite.all", 30.0),
    ("group.readwrite.all", 25.0),
    ("directory.read.all", 15.0),
    ("mailboxsettings.read", 10.0),
    ("contacts.read", 10.0),
    ("contacts.readwrite", 10.0),
    ("user.read.all", 10.0),
    ("files.readwrite", 10.0),
    ("offline_access", 10.0),
    ("calendars.readwrite", 10.0),
];

/// Returns the points of one scope.
pub fn weight(scope: &str) -> f64 {
    let name = scope.rsplit('/').next().unwrap_or(scope).trim().to_ascii_lowercase();
    WEIGHTS.iter().find(|(known, _)| known.eq_ignore_ascii_case(&name)).map_or(0.0, |(_, points)| *points)
}

/// Scores a set of scopes: the heaviest scope's points plus a quarter of each other scope's, at most `cap`.
/// Also returns the scopes that scored, heaviest first.
pub fn risk(scopes: &[String], cap: f64) -> (f64, Vec<(String, f64)>) {
    let mut scored: Vec<(String, f64)> =
        scopes.iter().map(|s| (s.clone(), weight(s))).filter(|(_, points)| *points > 0.0).collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    scored.dedup_by(|a, b| a.0.eq_ignore_ascii_case(&b.0));
    let total = scored.iter().enumerate().map(|(i, (_, points))| if i == 0 { *points } else { points / 4.0 }).sum::<f64>();
    (total.min(cap), scored)
}

/// Lists scored scopes for evidence: `Mail.ReadWrite (35), offline_access (10)`.
pub fn describe(scored: &[(String, f64)]) -> String {
    scored.iter().map(|(scope, points)| format!("{scope} ({points:.0})")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heaviest_scope_leads() {
        let scopes = ["User.Read", "Mail.ReadWrite", "offline_access"].map(String::from);
        let (points, scored) = risk(&scopes, 60.0);
        assert_eq!(points, 35.0 + 10.0 / 4.0);
        assert_eq!(scored[0].0, "Mail.ReadWrite");
        assert_eq!(scored.len(), 2, "User.Read scores nothing");
    }

    #[test]
    fn resource_prefix_ignored() {
        assert_eq!(weight("https://outlook.office.com/EWS.AccessAsUser.All"), 40.0);
        assert_eq!(weight("openid"), 0.0);
    }
}
