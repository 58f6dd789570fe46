//! `coffer`: the command-line face of the Coffer vault.

mod args;
mod audit;
mod commands;
mod passphrase;
mod refusal;
mod server;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    init_logging(cli.verbose);
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            // `{:#}` prints the whole context chain on one line: "action: cause".
            eprintln!("coffer: error: {error:#}");
            ExitCode::from(refusal::exit_code(&error))
        }
    }
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
