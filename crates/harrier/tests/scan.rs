//! Whole-process tests of `harrier scan` and `harrier eval email` on the mail fixtures.

use std::path::{Path, PathBuf};
use std::process::Command;

fn harrier(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_harrier")).args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/mail").join(name)
}

#[test]
fn scan_prints_class_and_factors() {
    let path = fixture("macro-xlsm.eml");
    let (success, stdout, stderr) = harrier(&["scan", path.to_str().unwrap()]);
    assert!(success, "{stderr}");
    let line = stdout.lines().next().expect("one line per message");
    let columns: Vec<&str> = line.split('\t').collect();
    assert_eq!(columns.len(), 4, "{line}");
    assert_eq!(columns[1], "malware");
    assert!(columns[3].contains("office_macro"), "{line}");
}

#[test]
fn scan_json_lists_every_factor() {
    let path = fixture("from-name-spoof.eml");
    let (success, stdout, stderr) = harrier(&["scan", "--json", path.to_str().unwrap()]);
    assert!(success, "{stderr}");
    let record: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    let kinds: Vec<&str> = record["factors"].as_array().unwrap().iter().map(|factor| factor["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"display_name_address"), "{kinds:?}");
    assert!(kinds.contains(&"reply_to_mismatch"), "{kinds:?}");
    assert!(record["verdict"]["score"].as_u64().is_some());
}

#[test]
fn scan_reads_plain_folders() {
    let folder = tempfile::tempdir().unwrap();
    for name in ["macro-xlsm.eml", "dkim-pass.eml"] {
        std::fs::copy(fixture(name), folder.path().join(name)).unwrap();
    }
    let (success, stdout, stderr) = harrier(&["scan", folder.path().to_str().unwrap()]);
    assert!(success, "{stderr}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
}

#[test]
fn eval_email_reports_rates_per_folder() {
    let ham = tempfile::tempdir().unwrap();
    let phish = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("dkim-pass.eml"), ham.path().join("1.eml")).unwrap();
    std::fs::copy(fixture("macro-xlsm.eml"), phish.path().join("1.eml")).unwrap();
    std::fs::copy(fixture("shortened-urls.eml"), phish.path().join("2.eml")).unwrap();
    let args = ["eval", "email", "--ham", ham.path().to_str().unwrap(), "--phish", phish.path().to_str().unwrap(), "--json"];
    let (success, stdout, stderr) = harrier(&args);
    assert!(success, "{stderr}");
    let results: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(results[0]["label"], "ham");
    assert_eq!(results[0]["threats"], 0);
    assert_eq!(results[1]["messages"], 2);
    assert_eq!(results[1]["threats"], 1);
    assert_eq!(results[1]["rate_by_class"]["malware"], 0.5);
}

#[test]
fn eval_email_missing_folder_fails() {
    let ham = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("dkim-pass.eml"), ham.path().join("1.eml")).unwrap();
    let missing = ham.path().join("no-such-folder");
    let stripped = tempfile::tempdir().unwrap();
    let args = [
        "eval",
        "email",
        "--ham",
        ham.path().to_str().unwrap(),
        "--phish",
        missing.to_str().unwrap(),
        "--write-stripped",
        stripped.path().to_str().unwrap(),
    ];
    let (success, stdout, stderr) = harrier(&args);
    assert!(!success, "{stdout}");
    assert!(stderr.contains("no-such-folder not found"), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let written = std::fs::read_dir(stripped.path()).unwrap().count();
    assert_eq!(written, 0, "the ham folder was read before the error");
}

#[test]
fn eval_email_help_gives_folds_range() {
    let (success, stdout, stderr) = harrier(&["eval", "email", "--help"]);
    assert!(success, "{stderr}");
    let words = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("K parts, 2 to 20,"), "{stdout}");
}

#[test]
fn scan_missing_file_states_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nonexist.eml");
    let (success, _, stderr) = harrier(&["scan", missing.to_str().unwrap()]);
    assert!(!success);
    assert!(stderr.contains("nonexist.eml"), "{stderr}");
    assert_eq!(stderr.matches("No such file or directory").count(), 1, "{stderr}");
}

/// Writes a message from `from` to bob@contoso.com with one link.
fn write_message(path: &Path, from: &str, day: u32, link: &str) {
    let message = format!(
        "From: Sender <{from}>\r\nTo: bob@contoso.com\r\nSubject: Schedule\r\nDate: {day:02} Mar 2025 09:00:00 +0000\r\n\
         Message-ID: <{day}.{from}>\r\nContent-Type: text/html\r\n\r\n<p>See <a href=\"{link}\">the schedule</a>.</p>\r\n"
    );
    std::fs::write(path, message).unwrap();
}

fn factor_kinds(stdout: &str) -> Vec<String> {
    let record: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    record["factors"].as_array().unwrap().iter().map(|factor| factor["kind"].as_str().unwrap().to_string()).collect()
}

#[test]
fn scan_judges_against_learned_history() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    std::fs::create_dir(&history).unwrap();
    for day in 1..=10 {
        write_message(&history.join(format!("{day}.eml")), "ann@supplier.example", day, "https://portal.supplier.example/s");
    }
    let data_dir = dir.path().join("data");
    let (success, _, stderr) = harrier(&[
        "replay",
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--protected-domain",
        "contoso.com",
        "--no-progress",
        history.to_str().unwrap(),
    ]);
    assert!(success, "{stderr}");

    let known = dir.path().join("known.eml");
    write_message(&known, "ann@supplier.example", 20, "https://portal.supplier.example/s");
    let stranger = dir.path().join("stranger.eml");
    write_message(&stranger, "mallory@elsewhere.example", 20, "https://files.elsewhere.example/s");
    let scan = |path: &Path| {
        let (success, stdout, stderr) = harrier(&[
            "scan",
            "--json",
            "--data-dir",
            data_dir.to_str().unwrap(),
            "--protected-domain",
            "contoso.com",
            path.to_str().unwrap(),
        ]);
        assert!(success, "{stderr}");
        factor_kinds(&stdout)
    };

    let known_kinds = scan(&known);
    assert!(!known_kinds.iter().any(|kind| kind.starts_with("first_time")), "{known_kinds:?}");
    assert!(!known_kinds.contains(&"new_link_domain".to_string()), "{known_kinds:?}");
    let stranger_kinds = scan(&stranger);
    assert!(stranger_kinds.contains(&"first_time_sender_to_organisation".to_string()), "{stranger_kinds:?}");
    assert!(stranger_kinds.contains(&"new_link_domain".to_string()), "{stranger_kinds:?}");
}

#[test]
fn eval_email_writes_stripped_copies() {
    // authres.eml and gb2312.eml arrived with X-Spam-* headers of their own.
    let ham = tempfile::tempdir().unwrap();
    for name in ["authres.eml", "gb2312.eml"] {
        std::fs::copy(fixture(name), ham.path().join(name)).unwrap();
    }
    let output = tempfile::tempdir().unwrap();
    let stripped = output.path().join("copies");
    let args = ["eval", "email", "--ham", ham.path().to_str().unwrap(), "--write-stripped", stripped.to_str().unwrap()];
    let (success, _, stderr) = harrier(&args);
    assert!(success, "{stderr}");

    let folder = stripped.join(ham.path().file_name().unwrap());
    let mut written: Vec<PathBuf> = std::fs::read_dir(&folder).unwrap().map(|entry| entry.unwrap().path()).collect();
    written.sort();
    assert_eq!(written.iter().map(|path| path.file_name().unwrap().to_str().unwrap()).collect::<Vec<_>>(), ["00000.eml", "00001.eml"]);
    for path in &written {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).to_ascii_lowercase();
        assert!(!text.contains("\nx-spam-"), "{}", path.display());
        assert!(text.contains("\nsubject:") || text.starts_with("subject:"), "{}", path.display());
    }

    let (again, _, stderr) = harrier(&args);
    assert!(!again, "a second run must not overwrite the copies");
    assert!(stderr.contains("already exists"), "{stderr}");
}

/// Writes `count` messages to `folder`, each with the words of `text`, a word of its own and `link`.
fn write_labelled(folder: &Path, count: usize, subject: &str, text: &str, link: &str) {
    std::fs::create_dir_all(folder).unwrap();
    for index in 0..count {
        // Letters only, so that each message has one word of its own.
        let own: String = format!("{index:03}").bytes().map(|digit| char::from(b'a' + digit - b'0')).collect();
        let message = format!(
            "From: Sender {index} <sender{index}@mail{index}.example.com>\r\nTo: bob@contoso.com\r\nSubject: {subject}\r\n\
             Date: 01 Mar 2025 09:00:00 +0000\r\nMessage-ID: <{index}.{subject}@example>\r\nContent-Type: text/html\r\n\r\n\
             <p>{text} word{own}. <a href=\"{link}\">here</a></p>\r\n"
        );
        std::fs::write(folder.join(format!("{index}.eml")), message).unwrap();
    }
}

const REPORTED_TEXT: &str = "Exclusive garden furniture collection with summer discounts for loyal customers";
const LEGITIMATE_TEXT: &str = "Minutes of the board meeting and the kernel release notes for next quarter";

fn kinds_and_class(stdout: &str) -> (Vec<String>, String) {
    let record: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    (factor_kinds(stdout), record["verdict"]["class"].as_str().unwrap().to_string())
}

#[test]
fn learned_words_flag_mail_like_the_reported() {
    let dir = tempfile::tempdir().unwrap();
    let reported = dir.path().join("reported");
    let legitimate = dir.path().join("legitimate");
    write_labelled(&reported, 30, "Garden collection", REPORTED_TEXT, "https://bit.ly/quota");
    write_labelled(&legitimate, 60, "Board minutes", LEGITIMATE_TEXT, "https://intranet.contoso.com/minutes");
    // A message without a word to learn is skipped, so that it does not dilute the counts.
    std::fs::write(reported.join("wordless.eml"), "From: a@example.com\r\nSubject: 123\r\n\r\n2024 - 55\r\n").unwrap();
    let data_dir = dir.path().join("data");
    let data = data_dir.to_str().unwrap();
    let learn = |args: &[&str]| {
        let mut all = vec!["learn", "mail", "--json", "--data-dir", data];
        all.extend_from_slice(args);
        let (success, stdout, stderr) = harrier(&all);
        assert!(success, "{stderr}");
        serde_json::from_str::<serde_json::Value>(&stdout).expect("a JSON summary")
    };
    let summary = learn(&["--phish", reported.to_str().unwrap(), "--ham", legitimate.to_str().unwrap()]);
    assert_eq!(summary["learned_reported"], 30);
    assert_eq!(summary["learned_legitimate"], 60);
    assert_eq!(summary["skipped"], 1);
    assert_eq!(summary["trained"], false, "{summary}");

    let probe = dir.path().join("probe.eml");
    write_labelled(dir.path().join("probe").as_path(), 1, "Garden collection", REPORTED_TEXT, "https://bit.ly/other");
    std::fs::rename(dir.path().join("probe/0.eml"), &probe).unwrap();
    let scan = |path: &Path| {
        let (success, stdout, stderr) = harrier(&["scan", "--json", "--data-dir", data, path.to_str().unwrap()]);
        assert!(success, "{stderr}");
        kinds_and_class(&stdout)
    };
    // Too few reported messages: the words are not used yet.
    let (kinds, _) = scan(&probe);
    assert!(!kinds.contains(&"like_reported_phishing".to_string()), "{kinds:?}");

    // The same messages again count once.
    let summary = learn(&["--phish", reported.to_str().unwrap()]);
    assert_eq!(summary["already_learned"], 30);
    assert_eq!(summary["learned_reported"], 0);
    assert_eq!(summary["total_reported"], 30);

    // Learning more adds to what was learned.
    let more = dir.path().join("more");
    write_labelled(&more, 30, "Garden collection offer", REPORTED_TEXT, "https://bit.ly/quota");
    let summary = learn(&["--phish", more.to_str().unwrap()]);
    assert_eq!(summary["total_reported"], 60);
    assert_eq!(summary["trained"], true, "{summary}");
    let (kinds, class) = scan(&probe);
    assert!(kinds.contains(&"like_reported_phishing".to_string()), "{kinds:?}");
    assert_eq!(class, "credential_phishing", "{kinds:?}");

    let ordinary = dir.path().join("ordinary.eml");
    write_labelled(dir.path().join("ordinary").as_path(), 1, "Board minutes", LEGITIMATE_TEXT, "https://bit.ly/minutes");
    std::fs::rename(dir.path().join("ordinary/0.eml"), &ordinary).unwrap();
    let (kinds, class) = scan(&ordinary);
    assert!(!kinds.contains(&"like_reported_phishing".to_string()), "{kinds:?}");
    assert_ne!(class, "credential_phishing", "{kinds:?}");

    // Without --data-dir nothing learned is used, and the shortener alone is no threat.
    let (success, stdout, stderr) = harrier(&["scan", "--json", probe.to_str().unwrap()]);
    assert!(success, "{stderr}");
    let (kinds, class) = kinds_and_class(&stdout);
    assert!(!kinds.contains(&"like_reported_phishing".to_string()), "{kinds:?}");
    assert_ne!(class, "credential_phishing", "{kinds:?}");

    // Messages learned as reported and then as legitimate move; taken back, they leave no count.
    let summary = learn(&["--ham", more.to_str().unwrap()]);
    assert_eq!(summary["relabelled"], 30);
    assert_eq!(summary["total_reported"], 30);
    assert_eq!(summary["total_legitimate"], 90);
    let words_before = learn(&["--ham", legitimate.to_str().unwrap()])["words"].clone();
    let unknown = dir.path().join("unknown");
    write_labelled(&unknown, 1, "Lunch menu", "Soup and salad on the terrace", "https://intranet.contoso.com/menu");
    let summary = learn(&["--forget", more.to_str().unwrap(), "--forget", unknown.to_str().unwrap()]);
    assert_eq!(summary["forgotten"], 30);
    assert_eq!(summary["not_learned"], 1);
    assert_eq!(summary["total_legitimate"], 60);
    assert_ne!(summary["words"], words_before, "the words of the taken-back messages stayed");

    let summary = learn(&["--reset", "--ham", legitimate.to_str().unwrap()]);
    assert_eq!(summary["learned_legitimate"], 60);
    assert_eq!(summary["total_reported"], 0);
    assert_eq!(summary["total_legitimate"], 60);

    let summary = learn(&["--reset"]);
    assert_eq!(summary["total_legitimate"], 0);
    assert_eq!(summary["words"], 0);
}

#[test]
fn learn_mail_names_missing_folder() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let data = dir.path().join("data");
    let (success, _, stderr) =
        harrier(&["learn", "mail", "--phish", missing.to_str().unwrap(), "--data-dir", data.to_str().unwrap()]);
    assert!(!success);
    assert!(stderr.contains("nowhere"), "{stderr}");
    assert!(!data.exists(), "a data directory was created");
}

#[test]
fn eval_email_cross_validates_learned_words() {
    let dir = tempfile::tempdir().unwrap();
    let reported = dir.path().join("reported");
    let legitimate = dir.path().join("legitimate");
    write_labelled(&reported, 100, "Garden collection", REPORTED_TEXT, "https://bit.ly/quota");
    write_labelled(&legitimate, 100, "Board minutes", LEGITIMATE_TEXT, "https://bit.ly/minutes");
    let eval = |folds: Option<&str>| {
        let mut args = vec!["eval", "email", "--json", "--ham", legitimate.to_str().unwrap(), "--phish", reported.to_str().unwrap()];
        if let Some(folds) = folds {
            args.extend_from_slice(&["--folds", folds]);
        }
        let (success, stdout, stderr) = harrier(&args);
        assert!(success, "{stderr}");
        let results: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let threats = |label: &str| {
            results.as_array().unwrap().iter().find(|result| result["label"] == label).unwrap()["threats"].as_u64().unwrap()
        };
        (threats("phish"), threats("ham"), results[0]["folds"].clone())
    };
    let (phish, ham, folds) = eval(None);
    assert_eq!((phish, ham), (0, 0));
    assert!(folds.is_null());
    let (phish, ham, folds) = eval(Some("5"));
    assert_eq!((phish, ham), (100, 0));
    assert_eq!(folds, 5);
}

#[test]
fn eval_email_warns_of_small_folds() {
    let dir = tempfile::tempdir().unwrap();
    let reported = dir.path().join("reported");
    let legitimate = dir.path().join("legitimate");
    write_labelled(&reported, 10, "Garden collection", REPORTED_TEXT, "https://bit.ly/quota");
    write_labelled(&legitimate, 10, "Board minutes", LEGITIMATE_TEXT, "https://bit.ly/minutes");
    let (success, _, stderr) = harrier(&[
        "eval",
        "email",
        "--folds",
        "2",
        "--ham",
        legitimate.to_str().unwrap(),
        "--phish",
        reported.to_str().unwrap(),
    ]);
    assert!(success, "{stderr}");
    assert!(stderr.contains("fewer than 50 messages"), "{stderr}");
}

#[test]
fn scan_without_mail_history_skips_novelty() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir(&data_dir).unwrap();
    let message = dir.path().join("stranger.eml");
    write_message(&message, "mallory@elsewhere.example", 20, "https://files.elsewhere.example/s");
    let (success, stdout, stderr) =
        harrier(&["scan", "--json", "--data-dir", data_dir.to_str().unwrap(), message.to_str().unwrap()]);
    assert!(success, "{stderr}");
    assert!(stderr.contains("no mail history"), "{stderr}");
    let kinds = factor_kinds(&stdout);
    assert!(!kinds.iter().any(|kind| kind.starts_with("first_time")), "{kinds:?}");
    assert!(!kinds.contains(&"new_link_domain".to_string()), "{kinds:?}");
}

#[test]
fn scan_of_no_mail_fails() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "Shopping list\n- bread\n").unwrap();
    let (success, stdout, stderr) = harrier(&["scan", notes.to_str().unwrap()]);
    assert!(!success, "{stdout}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("not a mail message"), "{stderr}");

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (success, _, stderr) = harrier(&["scan", empty.to_str().unwrap()]);
    assert!(!success);
    assert!(stderr.contains("no mail found"), "{stderr}");
}

#[test]
fn trusted_hop_needs_a_host() {
    let message = fixture("authres.eml");
    for hop in ["", "*"] {
        let output = Command::new(env!("CARGO_BIN_EXE_harrier")).args(["scan", "--trusted-hop", hop]).arg(&message).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{hop:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("names no host"), "{hop:?}");
    }
}

#[test]
fn text_output_shows_deciding_factor() {
    // The bulk-mail factor has no points but makes this message graymail.
    let (success, stdout, stderr) = harrier(&["scan", fixture("authres.eml").to_str().unwrap()]);
    assert!(success, "{stderr}");
    assert!(stdout.contains("\tgraymail\t"), "{stdout}");
    assert!(stdout.contains("bulk_mail(+0)"), "{stdout}");
}

#[test]
fn broken_file_in_folder_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("phishing-link.eml"), dir.path().join("a.eml")).unwrap();
    std::fs::write(dir.path().join("b.eml.gz"), [0x1f, 0x8b]).unwrap();
    let (success, stdout, stderr) = harrier(&["scan", dir.path().to_str().unwrap()]);
    assert!(success, "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stderr.contains("b.eml.gz"), "{stderr}");
}
