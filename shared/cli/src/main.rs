//! `rolegate`: the policy crate on the command line, for security reviewers.
//!
//! `render` shows exactly what a spec would create; `lint` checks a policy
//! document; `simulate` evaluates one request and explains the decision, or
//! a batch of them, one per line.
//! Exit codes: 0 clean (or allowed), 1 findings at error level (or denied),
//! 2 bad input.

mod args;
mod batch;
mod case;
mod check;
mod lint;
mod render;
mod simulate;
mod symbolic;

use std::process::ExitCode;

use args::Command;

fn main() -> ExitCode {
    // compare, check-not-granted and check-no-public (issue 18) read their
    // own arguments.
    if let Some(code) = symbolic::dispatch(std::env::args_os().skip(1)) {
        return code;
    }
    let command = match args::parse(std::env::args_os().skip(1)) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("rolegate: {message}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    let outcome = match command {
        Command::Help => {
            println!("{}", args::USAGE);
            Ok(Outcome::Clean)
        }
        Command::Render(opts) => render::run(&opts),
        Command::Lint(opts) => lint::run(&opts),
        Command::Simulate(args) => simulate::run(&args),
    };
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
