use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    filescope::commands::run(filescope::cli::Cli::parse())
}
