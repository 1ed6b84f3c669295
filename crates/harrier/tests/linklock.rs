//! `harrier linklock serve` as a whole process: it loads the key file, listens on loopback, serves the
//! warning page for a token signed with that key, and rejects a bad key file with an error naming it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use harrier_respond::linklock::{LinkClaims, LinkKeys, LockPolicy};

const SECRET: &str = "c2VjcmV0LWEtc2VjcmV0LWEtc2VjcmV0LWEtc2VjcmV0LWE=";

fn get(address: &str, path: &str) -> String {
    get_with(address, path, "")
}

/// Sends a GET with `headers`, each line ending in CRLF, and returns the whole response.
fn get_with(address: &str, path: &str, headers: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_answers_signed_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("keys.toml");
    let key_text = format!("[[key]]\nid = \"k1\"\nsecret = \"{SECRET}\"\n");
    std::fs::write(&key_file, &key_text).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_harrier"))
        .args(["linklock", "serve", "--listen", "127.0.0.1:0", "--key-file"])
        .arg(&key_file)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["--trusted-proxy", "127.0.0.1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.trim().strip_prefix("Serving locked links on http://").and_then(|a| a.strip_suffix("/l/"));
    let address = address.unwrap_or_else(|| panic!("unexpected first line {line:?}")).to_owned();

    let token = LinkKeys::parse(&key_text).unwrap().sign(&LinkClaims {
        url: "https://example.net/invoice".into(),
        tenant: "contoso".into(),
        message_id: "<m1@example.net>".into(),
        recipient: "alice@contoso.com".into(),
        reasons: vec!["new sender".into()],
        policy: LockPolicy::AllowContinue,
        expires: jiff::Timestamp::now().as_second() + 3600,
    });
    let page = get_with(&address, &format!("/l/{token}"), "X-Forwarded-For: 203.0.113.9\r\n");
    let forged = get(&address, "/l/abc.k1.def");
    child.kill().unwrap();
    child.wait().unwrap();

    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("hxxps://example[.]net/invoice"), "{page}");
    assert!(forged.starts_with("HTTP/1.1 400"), "{forged}");
    assert!(dir.path().join("data/linklock.sqlite").exists());

    let store = harrier_store::Store::open(&dir.path().join("data")).unwrap();
    let mut clients = Vec::new();
    store
        .for_each_event(&harrier_model::TenantId::new("contoso"), |event| {
            clients.push(event.client.ip.map(|ip| ip.to_string()));
            true
        })
        .unwrap();
    assert_eq!(clients, vec![Some("203.0.113.9".to_owned())], "the client behind the trusted proxy is recorded");
}

#[test]
fn serve_rejects_bad_trusted_proxy() {
    let output = Command::new(env!("CARGO_BIN_EXE_harrier"))
        .args(["linklock", "serve", "--key-file", "keys.toml", "--trusted-proxy", "proxy.example"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("--trusted-proxy"), "{stderr}");
    assert!(stderr.contains("\"proxy.example\" is not an IP address"), "{stderr}");
}

#[test]
fn serve_rejects_short_key() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("keys.toml");
    std::fs::write(&key_file, "[[key]]\nid = \"k1\"\nsecret = \"c2hvcnQ=\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_harrier"))
        .args(["linklock", "serve", "--listen", "127.0.0.1:0", "--key-file"])
        .arg(&key_file)
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("keys.toml") && stderr.contains("at least 32"), "{stderr}");
    assert!(!stderr.contains("c2hvcnQ="), "the secret is never printed: {stderr}");
}

#[test]
fn logs_to_a_pipe_have_no_colour() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("keys.toml");
    std::fs::write(&key_file, "not a key file").unwrap();
    // A key file others may read is warned about before it is parsed, and parsing it then fails.
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_harrier"))
        .args(["linklock", "serve", "--listen", "127.0.0.1:0", "--key-file"])
        .arg(&key_file)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env_remove("NO_COLOR")
        .env_remove("HARRIER_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("readable by other users"), "{stderr}");
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
}
