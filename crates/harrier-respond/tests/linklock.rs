//! Link-lock tokens and the endpoint: valid, expired, altered, forged and replayed tokens and continue
//! links, key rotation, and no response that redirects anywhere but the signed destination.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use harrier_respond::linklock::{LinkClaims, LinkError, LinkKeys, LockPolicy, defang, handle};

const NOW: i64 = 1_767_225_600;
const DESTINATION: &str = "https://docusign-review.example.net/sign?id=42";

fn keys() -> LinkKeys {
    LinkKeys::new(&[("k2", b"current secret for tests"), ("k1", b"previous secret for tests")])
}

fn claims(policy: LockPolicy) -> LinkClaims {
    LinkClaims {
        url: DESTINATION.into(),
        tenant: "contoso".into(),
        message_id: "<abc@example.net>".into(),
        recipient: "alice@contoso.com".into(),
        reasons: vec!["first-time sender".into(), "\"Review Document\" over an unrelated domain".into()],
        policy,
        expires: NOW + 86_400,
    }
}

fn location(response: &harrier_respond::linklock::LinkResponse) -> Option<&str> {
    response.headers.iter().find(|(name, _)| *name == "Location").map(|(_, value)| value.as_str())
}

/// Returns the continue link's path and query from a warning page.
fn continue_link(body: &str) -> String {
    let start = body.find("href=\"").expect("the page has a continue link") + 6;
    let end = start + body[start..].find('"').unwrap();
    body[start..end].replace("&amp;", "&")
}

#[test]
fn valid_token_shows_warning_then_continues_once() {
    let keys = keys();
    let token = keys.sign(&claims(LockPolicy::AllowContinue));
    let mut nonces = HashSet::new();

    let page = handle(&keys, &format!("/l/{token}"), NOW, &mut nonces);
    assert_eq!(page.status, 200);
    assert_eq!(location(&page), None);
    assert!(page.body.contains("hxxps://docusign-review[.]example[.]net/sign?id=42"), "{}", page.body);
    assert!(!page.body.contains(DESTINATION), "the destination is never a live link on the page");
    assert!(page.body.contains("&quot;Review Document&quot;"), "reasons are escaped: {}", page.body);
    let policy = page.headers.iter().find(|(name, _)| *name == "Content-Security-Policy").unwrap();
    assert!(policy.1.contains("default-src 'none'"));
    let click = page.click.clone().unwrap();
    assert!(!click.continued);
    assert_eq!(click.recipient, "alice@contoso.com");

    let link = continue_link(&page.body);
    let redirect = handle(&keys, &link, NOW + 30, &mut nonces);
    assert_eq!(redirect.status, 303);
    assert_eq!(location(&redirect), Some(DESTINATION));
    assert!(redirect.click.unwrap().continued);

    let replayed = handle(&keys, &link, NOW + 31, &mut nonces);
    assert_eq!(replayed.status, 400, "a continue link redirects once");
    assert_eq!(location(&replayed), None);
}

#[test]
fn expired_token_never_redirects() {
    let keys = keys();
    let token = keys.sign(&claims(LockPolicy::AllowContinue));
    let mut nonces = HashSet::new();
    let link = continue_link(&handle(&keys, &format!("/l/{token}"), NOW, &mut nonces).body);
    let later = NOW + 86_400;
    assert_eq!(keys.verify(&token, later), Err(LinkError::Expired));
    let page = handle(&keys, &format!("/l/{token}"), later, &mut nonces);
    assert_eq!(page.status, 410);
    let redirect = handle(&keys, &link, later, &mut nonces);
    assert_eq!(redirect.status, 410);
    assert_eq!(location(&redirect), None);
}

#[test]
fn expired_continue_link_is_rejected() {
    let keys = keys();
    let token = keys.sign(&claims(LockPolicy::AllowContinue));
    let mut nonces = HashSet::new();
    let link = continue_link(&handle(&keys, &format!("/l/{token}"), NOW, &mut nonces).body);
    let response = handle(&keys, &link, NOW + 601, &mut nonces);
    assert_eq!(response.status, 400);
    assert_eq!(location(&response), None);
}

#[test]
fn altered_token_is_rejected() {
    let keys = keys();
    let token = keys.sign(&claims(LockPolicy::AllowContinue));
    let (payload, rest) = token.split_once('.').unwrap();
    let mut decoded: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    decoded["url"] = "https://attacker.example/".into();
    let altered = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(serde_json::to_vec(&decoded).unwrap()));
    assert_eq!(keys.verify(&altered, NOW), Err(LinkError::BadSignature));
    let mut nonces = HashSet::new();
    assert_eq!(handle(&keys, &format!("/l/{altered}"), NOW, &mut nonces).status, 400);

    // A continue link whose expiry was pushed out.
    let link = continue_link(&handle(&keys, &format!("/l/{token}"), NOW, &mut nonces).body);
    let stretched = link.replace(&format!("e={}", NOW + 600), &format!("e={}", NOW + 99_999));
    assert_ne!(stretched, link);
    let response = handle(&keys, &stretched, NOW + 10, &mut nonces);
    assert_eq!(response.status, 400);
    assert_eq!(location(&response), None);
}

#[test]
fn forged_token_is_rejected() {
    let attacker = LinkKeys::new(&[("k2", b"a guess at the secret")]);
    let forged = attacker.sign(&claims(LockPolicy::AllowContinue));
    assert_eq!(keys().verify(&forged, NOW), Err(LinkError::BadSignature));
    let unknown = LinkKeys::new(&[("k9", b"current secret for tests")]).sign(&claims(LockPolicy::AllowContinue));
    assert_eq!(keys().verify(&unknown, NOW), Err(LinkError::UnknownKey));
    for token in ["", "abc", "a.b", "a.k2.c.d", "%%%.k2.%%%"] {
        assert!(keys().verify(token, NOW).is_err(), "{token:?}");
    }
}

#[test]
fn rotated_keys_still_verify_old_tokens() {
    let old = LinkKeys::new(&[("k1", b"previous secret for tests")]);
    let token = old.sign(&claims(LockPolicy::AllowContinue));
    assert_eq!(keys().verify(&token, NOW).unwrap().url, DESTINATION);
    let retired = LinkKeys::new(&[("k2", b"current secret for tests")]);
    assert_eq!(retired.verify(&token, NOW), Err(LinkError::UnknownKey));
}

#[test]
fn double_lock_offers_no_continue() {
    let keys = keys();
    let token = keys.sign(&claims(LockPolicy::DoubleLock));
    let mut nonces = HashSet::new();
    let page = handle(&keys, &format!("/l/{token}"), NOW, &mut nonces);
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("continue?"), "{}", page.body);
    let response = handle(&keys, &format!("/l/{token}/continue?n=x&e={}&s=y", NOW + 60), NOW, &mut nonces);
    assert_eq!(response.status, 403);
    assert_eq!(location(&response), None);
}

#[test]
fn signed_non_web_destination_never_redirects() {
    let keys = keys();
    let mut script = claims(LockPolicy::AllowContinue);
    script.url = "javascript:alert(1)".into();
    let token = keys.sign(&script);
    let mut nonces = HashSet::new();
    let link = continue_link(&handle(&keys, &format!("/l/{token}"), NOW, &mut nonces).body);
    let response = handle(&keys, &link, NOW + 5, &mut nonces);
    assert_eq!(response.status, 400);
    assert_eq!(location(&response), None);
}

#[test]
fn no_crafted_request_redirects() {
    let keys = keys();
    let token = keys.sign(&claims(LockPolicy::AllowContinue));
    let mut nonces = HashSet::new();
    let crafted = [
        "/".to_owned(),
        "/l/".to_owned(),
        "/l/x/continue".to_owned(),
        format!("/l/{token}/continue"),
        format!("/l/{token}/continue?n=&e=&s="),
        format!("/l/{token}/continue?n=abc&e={}&s=abc", NOW + 60),
        format!("/l/{token}/continue?url=https://attacker.example/"),
        format!("/l/{token}?next=https://attacker.example/"),
        "/l/https://attacker.example/".to_owned(),
        "//attacker.example/".to_owned(),
    ];
    for path in &crafted {
        let response = handle(&keys, path, NOW, &mut nonces);
        assert_eq!(location(&response), None, "{path} redirected");
        assert_ne!(response.status, 303, "{path}");
    }
}

#[test]
fn defang_breaks_hosts_and_schemes() {
    assert_eq!(defang("https://evil.example/x.php"), "hxxps://evil[.]example/x.php");
    assert_eq!(defang("http://10.0.0.1"), "hxxp://10[.]0[.]0[.]1");
}
