//! Link-lock tokens and the endpoint: valid, expired, altered, forged and replayed tokens and continue
//! links, key rotation, and no response that redirects anywhere but the signed destination.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use harrier_respond::linklock::{
    LinkClaims, LinkError, LinkKeys, LinkMethod, LinkRequest, LinkResponse, LockPolicy, NonceStore, defang, handle,
};

mod common;
use common::continue_form;

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

fn get(keys: &LinkKeys, path: &str, now: i64, nonces: &mut dyn NonceStore) -> LinkResponse {
    handle(keys, &LinkRequest { method: LinkMethod::Get, path_and_query: path, form: b"" }, now, nonces)
}

fn post(keys: &LinkKeys, (path, form): &(String, String), now: i64, nonces: &mut dyn NonceStore) -> LinkResponse {
    handle(keys, &LinkRequest { method: LinkMethod::Post, path_and_query: path, form: form.as_bytes() }, now, nonces)
}

#[test]
fn valid_token_shows_warning_then_continues_once() {
    let keys = keys();
    let token = keys.sign(&claims(LockPolicy::AllowContinue));
    let mut nonces = HashSet::new();

    let page = get(&keys, &format!("/l/{token}"), NOW, &mut nonces);
    assert_eq!(page.status, 200);
    assert_eq!(location(&page), None);
    assert!(page.body.contains("hxxps://docusign-review[.]example[.]net/sign?id=42"), "{}", page.body);
    assert!(!page.body.contains(DESTINATION), "the destination is never a live link on the page");
    assert!(page.body.contains("&quot;Review Document&quot;"), "reasons are escaped: {}", page.body);
    let policy = page.headers.iter().find(|(name, _)| *name == "Content-Security-Policy").unwrap();
    assert!(policy.1.contains("default-src 'none'"));
    assert!(policy.1.contains("frame-ancestors 'none'"));
    assert!(policy.1.contains("form-action 'self' https://docusign-review.example.net;"), "{}", policy.1);
    let header = |wanted: &str| page.headers.iter().find(|(name, _)| *name == wanted).map(|(_, value)| value.as_str());
    assert_eq!(header("X-Frame-Options"), Some("DENY"));
    assert_eq!(header("Cache-Control"), Some("no-store"));
    assert!(!page.body.contains("src="), "the page loads nothing: {}", page.body);
    let click = page.click.clone().unwrap();
    assert!(!click.continued);
    assert_eq!(click.recipient, "alice@contoso.com");

    let link = continue_form(&page.body);
    let redirect = post(&keys, &link, NOW + 30, &mut nonces);
    assert_eq!(redirect.status, 303);
    assert_eq!(location(&redirect), Some(DESTINATION));
    assert!(redirect.click.unwrap().continued);

    let replayed = post(&keys, &link, NOW + 31, &mut nonces);
    assert_eq!(replayed.status, 400, "a continue link redirects once");
    assert_eq!(location(&replayed), None);
}

#[test]
fn expired_token_never_redirects() {
    let keys = keys();
    let token = keys.sign(&claims(LockPolicy::AllowContinue));
    let mut nonces = HashSet::new();
    let link = continue_form(&get(&keys, &format!("/l/{token}"), NOW, &mut nonces).body);
    let later = NOW + 86_400;
    assert_eq!(keys.verify(&token, later), Err(LinkError::Expired));
    let page = get(&keys, &format!("/l/{token}"), later, &mut nonces);
    assert_eq!(page.status, 410);
    let redirect = post(&keys, &link, later, &mut nonces);
    assert_eq!(redirect.status, 410);
    assert_eq!(location(&redirect), None);
}

#[test]
fn expired_continue_link_is_rejected() {
    let keys = keys();
    let token = keys.sign(&claims(LockPolicy::AllowContinue));
    let mut nonces = HashSet::new();
    let link = continue_form(&get(&keys, &format!("/l/{token}"), NOW, &mut nonces).body);
    let response = post(&keys, &link, NOW + 601, &mut nonces);
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
    assert_eq!(get(&keys, &format!("/l/{altered}"), NOW, &mut nonces).status, 400);

    // A continue link whose expiry was pushed out.
    let link = continue_form(&get(&keys, &format!("/l/{token}"), NOW, &mut nonces).body);
    let stretched = (link.0.clone(), link.1.replace(&format!("e={}", NOW + 600), &format!("e={}", NOW + 99_999)));
    assert_ne!(stretched, link);
    let response = post(&keys, &stretched, NOW + 10, &mut nonces);
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
    let page = get(&keys, &format!("/l/{token}"), NOW, &mut nonces);
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<form"), "{}", page.body);
    assert!(page.headers.iter().any(|(name, value)| *name == "Content-Security-Policy" && value.contains("form-action 'none'")));
    let forged = (format!("/l/{token}/continue"), format!("n=x&e={}&s=y", NOW + 60));
    let response = post(&keys, &forged, NOW, &mut nonces);
    assert_eq!(response.status, 403);
    assert_eq!(location(&response), None);
}

#[test]
fn signed_non_web_destination_never_redirects() {
    let keys = keys();
    let mut nonces = HashSet::new();
    for url in ["javascript:alert(1)", "https://a;script-src*.example/", "https://user:pass@bank.example/", "data:text/html,x"] {
        let mut unsafe_claims = claims(LockPolicy::AllowContinue);
        unsafe_claims.url = url.into();
        let token = keys.sign(&unsafe_claims);
        let page = get(&keys, &format!("/l/{token}"), NOW, &mut nonces);
        assert_eq!(page.status, 200, "{url}");
        assert!(!page.body.contains("<form"), "{url}: no continue form for a destination a browser must not open");
        let policy = &page.headers.iter().find(|(name, _)| *name == "Content-Security-Policy").unwrap().1;
        assert!(policy.contains("form-action 'none'"), "{url}: {policy}");
        assert!(!policy.contains("script-src"), "{url}: {policy}");
        let forged = (format!("/l/{token}/continue"), format!("n=x&e={}&s=y", NOW + 60));
        let response = post(&keys, &forged, NOW + 5, &mut nonces);
        assert_eq!(response.status, 400, "{url}");
        assert_eq!(location(&response), None, "{url}");
    }
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
        for (method, form) in [(LinkMethod::Get, ""), (LinkMethod::Post, ""), (LinkMethod::Post, "n=a&e=9999999999&s=b")] {
            let request = LinkRequest { method, path_and_query: path, form: form.as_bytes() };
            let response = handle(&keys, &request, NOW, &mut nonces);
            assert_eq!(location(&response), None, "{method:?} {path} redirected");
            assert_ne!(response.status, 303, "{method:?} {path}");
        }
    }
}

#[test]
fn defang_breaks_hosts_and_schemes() {
    assert_eq!(defang("https://evil.example/x.php"), "hxxps://evil[.]example/x.php");
    assert_eq!(defang("http://10.0.0.1"), "hxxp://10[.]0[.]0[.]1");
}

#[test]
fn key_file_parses_and_rotates() {
    let secret_a = "c2VjcmV0LWEtc2VjcmV0LWEtc2VjcmV0LWEtc2VjcmV0LWE="; // 34 bytes
    let secret_b = "c2VjcmV0LWItc2VjcmV0LWItc2VjcmV0LWItc2VjcmV0LWI=";
    let text = format!("# signing key first\n[[key]]\nid = \"k2\"\nsecret = \"{secret_b}\"\n\n[[key]]\nid = \"k1\"\nsecret = \"{secret_a}\"\n");
    let keys = LinkKeys::parse(&text).unwrap();
    let token = keys.sign(&claims(LockPolicy::AllowContinue));
    assert_eq!(token.split('.').nth(1), Some("k2"), "the first key signs");
    let old = LinkKeys::parse(&format!("[[key]]\nid = \"k1\"\nsecret = \"{secret_a}\"\n")).unwrap();
    assert!(keys.verify(&old.sign(&claims(LockPolicy::AllowContinue)), NOW).is_ok(), "the second key verifies");
}

#[test]
fn key_file_errors_name_the_problem() {
    let short = "c2hvcnQ="; // "short", 5 bytes
    let secret = "c2VjcmV0LWEtc2VjcmV0LWEtc2VjcmV0LWEtc2VjcmV0LWE=";
    let cases = [
        (String::new(), "[[key]]"),
        (format!("[[key]]\nid = \"k1\"\nsecret = \"{short}\"\n"), "at least 32"),
        (format!("[[key]]\nid = \"k.1\"\nsecret = \"{secret}\"\n"), "letters and digits"),
        (format!("[[key]]\nid = \"k1\"\nsecret = \"{secret}\"\n[[key]]\nid = \"k1\"\nsecret = \"{secret}\"\n"), "twice"),
        ("[[key]]\nid = \"k1\"\nsecret = \"not base64!\"\n".to_owned(), "base64"),
        (format!("[[key]]\nid = \"k1\"\nsecret = \"{secret}\"\nsecrte = \"{secret}\"\n"), "invalid TOML"),
    ];
    for (text, expected) in cases {
        let error = LinkKeys::parse(&text).err().unwrap_or_else(|| panic!("{text:?} parsed"));
        assert!(error.contains(expected), "{text:?}: {error}");
        assert!(!error.contains(secret), "the error never shows a secret: {error}");
        assert!(!error.contains(short), "the error never shows a secret: {error}");
    }
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("keys.toml");
    let error = LinkKeys::load(&missing).err().unwrap().to_string();
    assert!(error.contains("keys.toml"), "{error}");
}
