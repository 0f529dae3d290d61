//! The binary: parses the command line, hands the library buffered stdout and stderr, and
//! turns a failure into its one-line errors and exit code.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = scopeaudit::cli::Cli::parse();
    let stdout = std::io::stdout();
    let mut stdout = std::io::BufWriter::new(stdout.lock());
    let mut stderr = std::io::stderr().lock();
    let mut streams = scopeaudit::app::Streams {
        stdout: &mut stdout,
        stderr: &mut stderr,
    };
    match scopeaudit::cli::run(cli, &mut streams) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            // Whatever was printed before the failure goes out first; its own errors are moot.
            let _ = stdout.flush();
            for line in &failure.lines {
                let _ = writeln!(stderr, "error: {line}");
            }
            ExitCode::from(failure.code)
        }
    }
}
