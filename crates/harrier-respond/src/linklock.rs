//! Link lock: signed tokens that replace a suspicious link, and the warning page behind them.
//!
//! A locked link points at `{base}/l/{token}`. The token carries the original URL, the message, the
//! recipient, the reasons and an expiry, signed with HMAC-SHA256 under a key id. Keys rotate: new tokens
//! are signed with the current key, and tokens signed with a previous key still verify until they expire.
//! The warning page shows the destination defanged and the reasons. Where the policy allows it, the page
//! offers a continue link that carries a second, short-lived signature over the token and a random nonce.
//! Each nonce redirects once. Nothing redirects unless both signatures verify, and only to the `http` or
//! `https` URL inside the signed token, so the endpoint is never an open redirect.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use serde::{Deserialize, Serialize};

/// How long a continue link on the warning page stays valid, in seconds.
pub const CONTINUE_SECONDS: i64 = 600;

/// Whether the user may continue to the destination after the warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockPolicy {
    /// The warning page offers a continue link.
    AllowContinue,
    /// No continue link: the destination is shown, never opened ("double lock").
    DoubleLock,
}

/// The facts a token carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkClaims {
    pub url: String,
    pub tenant: String,
    pub message_id: String,
    pub recipient: String,
    pub reasons: Vec<String>,
    pub policy: LockPolicy,
    /// Unix seconds after which the token is rejected.
    pub expires: i64,
}

/// The signing keys: the current one signs, every listed one verifies.
pub struct LinkKeys {
    current: String,
    keys: Vec<(String, hmac::Key)>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link token is malformed")]
    Malformed,
    #[error("the link token names an unknown key")]
    UnknownKey,
    #[error("the link token's signature does not match")]
    BadSignature,
    #[error("the link token has expired")]
    Expired,
    #[error("the continue link is invalid, expired or already used")]
    BadContinue,
    #[error("the locked destination is not an http or https URL")]
    UnsafeDestination,
}

impl LinkKeys {
    /// Builds the key set from `(key id, secret)` pairs; the first pair is the current signing key. Key
    /// ids are short names such as `k2026a` (letters and digits).
    pub fn new(keys: &[(&str, &[u8])]) -> LinkKeys {
        assert!(!keys.is_empty(), "at least one link-lock key");
        LinkKeys {
            current: keys[0].0.to_owned(),
            keys: keys.iter().map(|(id, secret)| ((*id).to_owned(), hmac::Key::new(hmac::HMAC_SHA256, secret))).collect(),
        }
    }

    fn key(&self, id: &str) -> Option<&hmac::Key> {
        self.keys.iter().find(|(key_id, _)| key_id == id).map(|(_, key)| key)
    }

    /// Signs claims into a token: `payload.keyid.signature`, each part base64url without padding.
    pub fn sign(&self, claims: &LinkClaims) -> String {
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise"));
        let key = self.key(&self.current).expect("the current key is listed");
        let signature = hmac::sign(key, format!("{}.{payload}", self.current).as_bytes());
        format!("{payload}.{}.{}", self.current, URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }

    /// Verifies a token's signature and expiry and returns its claims.
    pub fn verify(&self, token: &str, now: i64) -> Result<LinkClaims, LinkError> {
        let mut parts = token.split('.');
        let (Some(payload), Some(key_id), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(LinkError::Malformed);
        };
        let key = self.key(key_id).ok_or(LinkError::UnknownKey)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| LinkError::Malformed)?;
        hmac::verify(key, format!("{key_id}.{payload}").as_bytes(), &signature).map_err(|_| LinkError::BadSignature)?;
        let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| LinkError::Malformed)?;
        let claims: LinkClaims = serde_json::from_slice(&bytes).map_err(|_| LinkError::Malformed)?;
        if now >= claims.expires {
            return Err(LinkError::Expired);
        }
        Ok(claims)
    }

    /// Signs a continue link for a token: the nonce and its expiry, bound to the token.
    fn continue_signature(&self, token: &str, nonce: &str, expires: i64) -> String {
        let key = self.key(&self.current).expect("the current key is listed");
        let signature = hmac::sign(key, format!("continue.{token}.{nonce}.{expires}").as_bytes());
        URL_SAFE_NO_PAD.encode(signature.as_ref())
    }

    fn continue_valid(&self, token: &str, nonce: &str, expires: i64, signature: &str) -> bool {
        let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else { return false };
        let message = format!("continue.{token}.{nonce}.{expires}");
        // A continue link signed before a key rotation stays valid for its few minutes.
        self.keys.iter().any(|(_, key)| hmac::verify(key, message.as_bytes(), &signature).is_ok())
    }
}

/// Remembers the continue nonces already used, so each redirects once.
pub trait NonceStore {
    /// Records the nonce and returns false when it was recorded before.
    fn first_use(&mut self, nonce: &str) -> bool;
}

impl NonceStore for HashSet<String> {
    fn first_use(&mut self, nonce: &str) -> bool {
        self.insert(nonce.to_owned())
    }
}

/// A click on a locked link, for the engine to learn from.
// NOTE: clicks are returned to the caller; no server mounts this endpoint yet, so none reach the engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Click {
    pub tenant: String,
    pub message_id: String,
    pub recipient: String,
    pub url: String,
    /// Unix seconds.
    pub time: i64,
    /// True when the user went on to the destination.
    pub continued: bool,
}

/// An HTTP response for the link-lock endpoint, for whichever server mounts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    pub click: Option<Click>,
}

/// Handles `GET /l/{token}` (the warning page) and `GET /l/{token}/continue?n=..&e=..&s=..` (the redirect
/// after the warning). `path_and_query` starts at `/l/`.
pub fn handle(keys: &LinkKeys, path_and_query: &str, now: i64, nonces: &mut dyn NonceStore) -> LinkResponse {
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let Some(rest) = path.strip_prefix("/l/") else {
        return error_page(404, "Not found", "This address is not a harrier link.");
    };
    let (token, continuing) = match rest.strip_suffix("/continue") {
        Some(token) => (token, true),
        None => (rest, false),
    };

    let claims = match keys.verify(token, now) {
        Ok(claims) => claims,
        Err(LinkError::Expired) => return error_page(410, "Link expired", "This protected link has expired."),
        Err(_) => return error_page(400, "Invalid link", "This protected link is not valid."),
    };
    let click = |continued| Click {
        tenant: claims.tenant.clone(),
        message_id: claims.message_id.clone(),
        recipient: claims.recipient.clone(),
        url: claims.url.clone(),
        time: now,
        continued,
    };

    if !continuing {
        let mut response = warning_page(keys, token, &claims, now);
        response.click = Some(click(false));
        return response;
    }
    if claims.policy == LockPolicy::DoubleLock {
        return error_page(403, "Blocked", "Your organisation does not allow opening this link.");
    }
    let parameter = |name: &str| {
        query.split('&').find_map(|pair| pair.strip_prefix(name).and_then(|v| v.strip_prefix('='))).unwrap_or_default()
    };
    let (nonce, signature) = (parameter("n"), parameter("s"));
    let expires: i64 = parameter("e").parse().unwrap_or(0);
    if nonce.is_empty() || now >= expires || !keys.continue_valid(token, nonce, expires, signature) || !nonces.first_use(nonce) {
        return error_page(400, "Invalid link", "This continue link is invalid, has expired or was already used.");
    }
    if !is_web_url(&claims.url) {
        return error_page(400, "Invalid link", "The locked destination cannot be opened.");
    }
    let mut response = LinkResponse { status: 303, headers: security_headers(), body: String::new(), click: Some(click(true)) };
    response.headers.push(("Location", claims.url.clone()));
    response
}

fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")) && !url.chars().any(|c| c.is_control() || c == ' ')
}

fn security_headers() -> Vec<(&'static str, String)> {
    vec![
        ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'".into()),
        ("Referrer-Policy", "no-referrer".into()),
        ("X-Content-Type-Options", "nosniff".into()),
        ("Cache-Control", "no-store".into()),
    ]
}

fn html_response(status: u16, body: String) -> LinkResponse {
    let mut headers = security_headers();
    headers.push(("Content-Type", "text/html; charset=utf-8".into()));
    LinkResponse { status, headers, body, click: None }
}

fn error_page(status: u16, title: &str, text: &str) -> LinkResponse {
    html_response(status, page(title, &format!("<p>{}</p>", escape(text))))
}

fn warning_page(keys: &LinkKeys, token: &str, claims: &LinkClaims, now: i64) -> LinkResponse {
    let mut body = String::from("<p>harrier held this link back because it looks dangerous:</p><ul>");
    for reason in &claims.reasons {
        body.push_str(&format!("<li>{}</li>", escape(reason)));
    }
    body.push_str(&format!("</ul><p>Destination: <code>{}</code></p>", escape(&defang(&claims.url))));
    match claims.policy {
        LockPolicy::AllowContinue => {
            let nonce = random_nonce();
            let expires = now + CONTINUE_SECONDS;
            let signature = keys.continue_signature(token, &nonce, expires);
            body.push_str(&format!(
                "<p>If you trust the sender and expected this link, you may <a href=\"/l/{}/continue?n={nonce}&amp;e={expires}&amp;s={signature}\">continue to it</a>. This is recorded.</p>",
                escape(token)
            ));
        }
        LockPolicy::DoubleLock => body.push_str("<p>Your organisation does not allow opening this link.</p>"),
    }
    html_response(200, page("Warning: suspicious link", &body))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title>\
         <style>body{{font-family:sans-serif;max-width:40em;margin:3em auto}}code{{word-break:break-all}}</style>\
         </head><body><h1>{0}</h1>{body}</body></html>",
        escape(title)
    )
}

/// Makes a URL unclickable when copied: `https://evil.example/x` becomes `hxxps://evil[.]example/x`.
pub fn defang(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (host, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    let scheme = scheme.replacen("http", "hxxp", 1);
    let host = host.replace('.', "[.]");
    let separator = if rest.contains('/') { "/" } else { "" };
    if scheme.is_empty() { format!("{host}{separator}{path}") } else { format!("{scheme}://{host}{separator}{path}") }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn random_nonce() -> String {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("the system random source works");
    URL_SAFE_NO_PAD.encode(bytes)
}
