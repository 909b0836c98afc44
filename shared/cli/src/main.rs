//! `rolegate`: the policy crate on the command line, for security reviewers.
//!
//! `render` shows exactly what a spec would create; `lint` checks a policy
//! document; `simulate` evaluates one request and explains the decision, or
//! a batch of them, one per line; `compare`, `check-not-granted` and
//! `check-no-public` decide access symbolically; `integrations` lists the
//! vendor's registry (the one command that calls AWS); `completions` prints
//! a shell's completion script. [`cli`] declares the command line.
//! Exit codes: 0 clean (or allowed), 1 findings at error level (or denied),
//! 2 bad input; the symbolic commands also 3 unknown.

mod batch;
mod case;
mod check;
mod cli;
mod format;
mod integrations;
mod lint;
mod render;
mod simulate;
mod spec_errors;
mod symbolic;
mod template;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command};

fn main() -> ExitCode {
    // clap prints help and version (exit 0) and usage errors (exit 2) itself.
    let cli = Cli::parse();
    // Output is gathered, then written once, so that a reader going away
    // (`| head -1`) ends the command quietly instead of panicking in println!.
    let mut out = String::new();
    let outcome = match cli.command {
        Command::Render(cmd) => render::run(&cmd.into(), &mut out),
        Command::Lint(cmd) => lint::run(&cmd.into(), &mut out),
        Command::Simulate(cmd) => match cmd.into_args() {
            Ok(args) => simulate::run(&args, &mut out),
            Err(e) => e.exit(),
        },
        // compare, check-not-granted and check-no-public (issue 18) exit 3
        // on unknown, which no other command has.
        Command::Compare(cmd) => return symbolic_exit(&cmd.into()),
        Command::CheckNotGranted(cmd) => return symbolic_exit(&cmd.into()),
        Command::CheckNoPublic(cmd) => return symbolic_exit(&cmd.into()),
        Command::Integrations(cmd) => match cmd.into_args() {
            Ok(args) => integrations::run(&args, &mut out),
            Err(message) => Err(message),
        },
        Command::Completions(cmd) => {
            write_stdout(&cmd.script());
            Ok(Outcome::Clean)
        }
    };
    write_stdout(out.as_bytes());
    match outcome {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Findings | Outcome::Denied) => ExitCode::from(1),
        Ok(Outcome::BadInput) => ExitCode::from(2),
        Err(message) => {
            eprintln!("rolegate: {message}");
            ExitCode::from(2)
        }
    }
}

/// Runs a symbolic command: its output, then its own exit code (0 no new
/// access, 1 found, 3 unknown), or 2 with the message on bad input.
fn symbolic_exit(command: &symbolic::Command) -> ExitCode {
    let mut out = String::new();
    let code = match symbolic::run(command, &mut out) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("rolegate: {message}");
            2
        }
    };
    write_stdout(out.as_bytes());
    ExitCode::from(code)
}

/// Writes to standard output. A closed pipe is not an error: the reader
/// has what it wanted, and the exit code still tells the outcome.
fn write_stdout(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => eprintln!("rolegate: cannot write standard output: {e}"),
    }
}

/// Appends a line to a command's output (a `String`, which cannot fail).
#[macro_export]
macro_rules! outln {
    ($out:expr) => {{
        $out.push('\n');
    }};
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

/// Appends text to a command's output, without a newline.
#[macro_export]
macro_rules! outs {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = write!($out, $($arg)*);
    }};
}

/// How a command ended when its input was readable.
pub enum Outcome {
    Clean,
    /// At least one finding at error level.
    Findings,
    /// `simulate`: the request is denied.
    Denied,
    /// Some of the input was bad and has been reported already (a batch
    /// goes on past a bad line, then exits 2).
    BadInput,
}

/// Reads a file named on the command line, `-` meaning standard input.
pub fn read_input(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
    }
}
