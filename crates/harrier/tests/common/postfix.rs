//! A private Postfix instance with `harrier milter` in front, and an SMTP sink that captures what
//! Postfix delivers. Everything listens on 127.0.0.1; the instance lives in a temporary folder and is
//! stopped when the harness is dropped.

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

pub const LINK_BASE: &str = "https://links.harrier.test";
pub const KEY_ID: &str = "k1";
/// The link-lock secret: 32 bytes, written base64-encoded to the key file.
pub const KEY_SECRET: &[u8; 32] = b"test-secret-0123456789abcdef0123";

/// Folders searched for Postfix's commands besides the PATH.
const SBIN: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// Returns why the Postfix tests cannot run here, or `None` when they can. Under `CI=true` a missing
/// prerequisite is a failure, not a skip.
pub fn skip_reason() -> Option<String> {
    let reason = if !Path::new("/usr/sbin/postfix").exists() {
        Some("Postfix is not installed; run scripts/install-deps.sh".to_owned())
    } else if unsafe_uid() != 0 {
        Some("a private Postfix instance needs root".to_owned())
    } else {
        None
    };
    if let Some(reason) = &reason
        && std::env::var("CI").is_ok_and(|v| v == "true")
    {
        panic!("CI=true and the Postfix tests cannot run: {reason}");
    }
    reason
}

fn unsafe_uid() -> u32 {
    // The uid from /proc avoids a libc dependency in the tests.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(u32::MAX)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .unwrap()
        .port()
}

pub struct Harness {
    _dir: tempfile::TempDir,
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    smtp_port: u16,
    milter: Child,
    delivered: Receiver<Vec<u8>>,
}

impl Harness {
    /// Starts the sink, `harrier milter` with every message action autonomous, and Postfix.
    pub fn start() -> Harness {
        Harness::start_with(&autonomous_policy())
    }

    pub fn start_with(policy: &str) -> Harness {
        let dir = tempfile::tempdir().expect("a temporary folder");
        // Postfix's daemons run as the postfix user and must reach the queue below this folder.
        set_mode(dir.path(), 0o755);
        let root = dir.path().to_path_buf();
        let config_dir = root.join("etc");
        let data_dir = root.join("harrier");
        std::fs::create_dir_all(&config_dir).unwrap();
        // Postfix creates the queue's subfolders on start, but not the queue folder itself; the data
        // folder belongs to the mail owner.
        std::fs::create_dir_all(root.join("spool")).unwrap();
        std::fs::create_dir_all(root.join("data")).unwrap();
        run(Command::new("chown").arg("postfix").arg(root.join("data")));

        let (sink_port, delivered) = start_sink();
        let policy_file = root.join("policy.toml");
        std::fs::write(&policy_file, policy).unwrap();
        let key_file = root.join("link-keys");
        std::fs::write(&key_file, format!("[[key]]\nid = \"{KEY_ID}\"\nsecret = \"{}\"\n", BASE64_STANDARD.encode(KEY_SECRET))).unwrap();
        let (milter, milter_port) = start_milter(&data_dir, &policy_file, &key_file, &config_dir);

        let smtp_port = free_port();
        write_config(&root, &config_dir, smtp_port, sink_port, milter_port);
        run(Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(&config_dir)
            .arg("start"));
        let harness = Harness {
            _dir: dir,
            config_dir,
            data_dir,
            smtp_port,
            milter,
            delivered,
        };
        harness.wait_for_smtp();
        harness
    }

    fn wait_for_smtp(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.smtp_port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "Postfix did not listen on port {}",
                self.smtp_port
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends a message over SMTP and returns the final reply to DATA (`250 2.0.0 Ok: queued as ID`).
    pub fn send(&self, message: &str) -> String {
        send_smtp(
            self.smtp_port,
            "sender@sender.example",
            "bob@recipient.example",
            message,
        )
    }

    /// Waits for the sink to receive a message.
    pub fn receive(&self) -> Vec<u8> {
        self.try_receive(Duration::from_secs(60))
            .expect("Postfix delivered the message to the sink within 60 s")
    }

    pub fn try_receive(&self, wait: Duration) -> Option<Vec<u8>> {
        self.delivered.recv_timeout(wait).ok()
    }

    /// Waits until the queue id shows up in Postfix's hold queue. Returns the last `postqueue -j` listing
    /// on failure.
    pub fn wait_in_hold(&self, queue_id: &str, wait: Duration) -> Result<(), String> {
        let deadline = Instant::now() + wait;
        let mut listing = String::new();
        while Instant::now() < deadline {
            let output = Command::new("/usr/sbin/postqueue")
                .arg("-c")
                .arg(&self.config_dir)
                .arg("-j")
                .output()
                .expect("postqueue runs");
            listing = String::from_utf8_lossy(&output.stdout).into_owned();
            let held = listing
                .lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .any(|entry| entry["queue_id"] == queue_id && entry["queue_name"] == "hold");
            if held {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let log = std::fs::read_to_string(self.config_dir.parent().unwrap().join("maillog"))
            .unwrap_or_default();
        Err(format!("postqueue -j: {listing}\nmaillog:\n{log}"))
    }

    /// Asks Postfix to deliver the deferred queue now.
    pub fn flush(&self) {
        run(Command::new("/usr/sbin/postqueue")
            .arg("-c")
            .arg(&self.config_dir)
            .arg("-f"));
    }

    /// Runs the harrier command with this harness's data folder and returns its standard output.
    pub fn harrier(&self, args: &[&str]) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_harrier"))
            .args(args)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .env(
                "PATH",
                format!("{SBIN}:{}", std::env::var("PATH").unwrap_or_default()),
            )
            .output()
            .expect("harrier runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "harrier {args:?} failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = Command::new("/usr/sbin/postfix")
            .arg("-c")
            .arg(&self.config_dir)
            .arg("stop")
            .output();
        let _ = self.milter.kill();
        let _ = self.milter.wait();
    }
}

/// The built-in policy with every message action autonomous.
pub fn autonomous_policy() -> String {
    let mut policy = harrier_respond::DEFAULT_POLICY.to_owned();
    for kind in [
        "lock_link",
        "neutralise_attachment",
        "move_to_junk",
        "hold_message",
    ] {
        policy = policy.replace(
            &format!("{kind} = \"observe\""),
            &format!("{kind} = \"autonomous\""),
        );
    }
    policy
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?} cannot start: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn start_milter(data_dir: &Path, policy: &Path, keys: &Path, config_dir: &Path) -> (Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_harrier"))
        .args([
            "milter",
            "--listen",
            "127.0.0.1:0",
            "--link-lock-base",
            LINK_BASE,
            "--on-error",
            "tempfail",
        ])
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--response-policy")
        .arg(policy)
        .arg("--link-lock-key-file")
        .arg(keys)
        .arg("--postfix-config-dir")
        .arg(config_dir)
        .stderr(Stdio::piped())
        .spawn()
        .expect("harrier milter starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr
        .read_line(&mut line)
        .expect("harrier milter writes its address");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    // Keep draining standard error so the milter never blocks on a full pipe; its lines go to the test output.
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            eprintln!("milter: {line}");
        }
    });
    (child, port)
}

/// Writes main.cf and master.cf from the templates in `testdata/postfix`, which bench/milter.sh uses too.
fn write_config(root: &Path, config_dir: &Path, smtp_port: u16, sink_port: u16, milter_port: u16) {
    let fill = |template: &str| {
        template
            .replace("@ROOT@", &root.display().to_string())
            .replace("@SINK_PORT@", &sink_port.to_string())
            .replace("@MILTER_PORT@", &milter_port.to_string())
            .replace("@SMTP_PORT@", &smtp_port.to_string())
    };
    std::fs::write(config_dir.join("main.cf"), fill(include_str!("../../../../testdata/postfix/main.cf"))).unwrap();
    std::fs::write(config_dir.join("master.cf"), fill(include_str!("../../../../testdata/postfix/master.cf"))).unwrap();
}

/// Starts an SMTP server on a free loopback port that accepts every message and sends its bytes, with
/// dot-stuffing undone, to the returned channel.
fn start_sink() -> (u16, Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the sink");
    let port = listener.local_addr().unwrap().port();
    let (sender, receiver) = channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            let sender = sender.clone();
            std::thread::spawn(move || {
                let _ = serve_sink(stream, &sender);
            });
        }
    });
    (port, receiver)
}

fn serve_sink(stream: TcpStream, sender: &std::sync::mpsc::Sender<Vec<u8>>) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    writer.write_all(b"220 sink.test ESMTP\r\n")?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line).to_ascii_uppercase();
        if command.starts_with("EHLO") {
            writer.write_all(b"250-sink.test\r\n250 8BITMIME\r\n")?;
        } else if command.starts_with("DATA") {
            writer.write_all(b"354 go ahead\r\n")?;
            let mut message = Vec::new();
            loop {
                line.clear();
                if reader.read_until(b'\n', &mut line)? == 0 {
                    return Ok(());
                }
                if line == b".\r\n" {
                    break;
                }
                let unstuffed = if line.starts_with(b"..") {
                    &line[1..]
                } else {
                    &line[..]
                };
                message.extend_from_slice(unstuffed);
            }
            let _ = sender.send(message);
            writer.write_all(b"250 accepted\r\n")?;
        } else if command.starts_with("QUIT") {
            writer.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            writer.write_all(b"250 ok\r\n")?;
        }
    }
}

/// Sends one message over SMTP and returns the reply to the end of DATA.
pub fn send_smtp(port: u16, from: &str, to: &str, message: &str) -> String {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to Postfix");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let reply = |reader: &mut BufReader<TcpStream>| -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("an SMTP reply");
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return all.trim().to_owned();
            }
        }
    };
    let expect = |text: String, code: &str| {
        assert!(text.starts_with(code), "expected {code}, got {text:?}");
        text
    };
    expect(reply(&mut reader), "220");
    for (command, code) in [
        ("EHLO client.test".to_owned(), "250"),
        (format!("MAIL FROM:<{from}>"), "250"),
        (format!("RCPT TO:<{to}>"), "250"),
        ("DATA".to_owned(), "354"),
    ] {
        writer
            .write_all(format!("{command}\r\n").as_bytes())
            .unwrap();
        expect(reply(&mut reader), code);
    }
    for line in message.split_inclusive("\r\n") {
        if line.starts_with('.') {
            writer.write_all(b".").unwrap();
        }
        writer.write_all(line.as_bytes()).unwrap();
    }
    writer.write_all(b".\r\n").unwrap();
    let done = expect(reply(&mut reader), "250");
    writer.write_all(b"QUIT\r\n").unwrap();
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    done
}
