//! Checks of the help text: every command has examples, and every example parses.

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, EXIT_USAGE};

/// Returns every subcommand below `command` with its full name (`harrier actions list`).
fn subcommands(command: &clap::Command, prefix: &str) -> Vec<(String, clap::Command)> {
    let mut found = Vec::new();
    for sub in command.get_subcommands().filter(|sub| sub.get_name() != "help") {
        let name = format!("{prefix} {}", sub.get_name());
        found.extend(subcommands(sub, &name));
        found.push((name, sub.clone()));
    }
    found
}

fn after_help(command: &clap::Command) -> String {
    command.get_after_help().or(command.get_after_long_help()).map(ToString::to_string).unwrap_or_default()
}

/// Returns the after-help text of `harrier` and of every subcommand, with the command's full name.
fn all_after_helps() -> Vec<(String, String)> {
    let root = Cli::command();
    let mut helps = vec![("harrier".to_owned(), after_help(&root))];
    helps.extend(subcommands(&root, "harrier").iter().map(|(name, command)| (name.clone(), after_help(command))));
    helps
}

/// Returns the example commands in a help text: indented lines starting with `harrier`, with `\`
/// continuations joined, cut before a trailing description (two or more spaces) and before a redirection.
fn example_commands(help: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut lines = help.lines();
    while let Some(line) = lines.next() {
        if !line.starts_with("  harrier ") {
            continue;
        }
        let mut text = line.trim().to_owned();
        while let Some(stripped) = text.strip_suffix('\\') {
            text = format!("{} {}", stripped.trim_end(), lines.next().unwrap_or_default().trim());
        }
        let command = text.split("  ").next().unwrap_or_default();
        let words = shlex::split(command).unwrap_or_else(|| panic!("unbalanced quotes in the example {command:?}"));
        let redirection = |word: &String| word.starts_with(['>', '<', '|']) || word.starts_with("2>");
        commands.push(words.into_iter().take_while(|word| !redirection(word)).collect());
    }
    commands
}

#[test]
fn command_tree_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn every_command_has_examples() {
    let root = Cli::command();
    let mut missing = Vec::new();
    if !after_help(&root).starts_with("Examples:\n") {
        missing.push("harrier".to_owned());
    }
    for (name, command) in subcommands(&root, "harrier") {
        let is_leaf = command.get_subcommands().next().is_none();
        if is_leaf && !after_help(&command).starts_with("Examples:\n") {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "these commands have no after_help starting with \"Examples:\": {missing:?}");
}

/// clap wraps help at 100 columns when the width is unknown, and a wrapped example line no longer
/// reads as one command.
#[test]
fn help_lines_fit_100_columns() {
    let helps = all_after_helps();
    let mut long = Vec::new();
    for (name, help) in &helps {
        long.extend(help.lines().filter(|line| line.chars().count() >= 100).map(|line| format!("{name}: {line}")));
    }
    assert!(long.is_empty(), "help lines of 100 characters or more:\n{}", long.join("\n"));
}

#[test]
fn every_example_parses() {
    let helps = all_after_helps();
    let mut checked = 0;
    for (name, help) in &helps {
        for words in example_commands(help) {
            if let Err(error) = Cli::try_parse_from(&words) {
                panic!("the example {words:?} in `{name} --help` does not parse:\n{error}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} examples found; the example parser misses lines");
}

#[test]
fn example_parser_cuts_descriptions_and_redirections() {
    let help = "Examples:\n  harrier report inc-1 > incident.md\n  harrier models --json     as JSON\n  harrier tokens create --tenant '*' \\\n      --name x\n";
    let commands = example_commands(help);
    assert_eq!(commands[0], ["harrier", "report", "inc-1"]);
    assert_eq!(commands[1], ["harrier", "models", "--json"]);
    assert_eq!(commands[2], ["harrier", "tokens", "create", "--tenant", "*", "--name", "x"]);
}

#[test]
fn usage_error_status_matches_clap() {
    let error = Cli::try_parse_from(["harrier", "incidents", "--no-such-flag"]).unwrap_err();
    assert_eq!(error.exit_code(), i32::from(EXIT_USAGE));
}
