//! `coffer`: the command-line face of the Coffer vault.

/// `println!` for text: what it prints goes through [`term::safe`], so no
/// folder name, server message or mail text can drive the terminal.
macro_rules! say {
    () => { println!() };
    ($($arg:tt)*) => { println!("{}{}", $crate::term::level(6), $crate::term::safe(&format!($($arg)*))) };
}

/// `eprintln!` for text, escaped like [`say!`].
macro_rules! warn {
    ($($arg:tt)*) => { eprintln!("{}{}", $crate::term::level(4), $crate::term::safe(&format!($($arg)*))) };
}

mod args;
mod audit;
mod commands;
mod exit;
mod passphrase;
mod server;
mod term;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print and succeed; a usage error is a
        // bad_request like any other wrong argument.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(coffer_engine::Code::BadRequest.exit_status());
        }
    };
    init_logging(cli.verbose);
    exit::finish(commands::run(cli))
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("COFFER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
