use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = scopeaudit::cli::Cli::parse();
    match scopeaudit::cli::run(cli) {
        Ok(outcome) => {
            // A closed pipe (`scopeaudit ... | head`) is not an error worth reporting.
            let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
            let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
            ExitCode::from(outcome.code)
        }
        Err(failure) => {
            let mut stderr = std::io::stderr().lock();
            for line in &failure.lines {
                let _ = writeln!(stderr, "error: {line}");
            }
            ExitCode::from(failure.code)
        }
    }
}
