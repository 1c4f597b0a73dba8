use tfaudit::cli::{Cli, Command};
use tfaudit::commands;

/// Diagnostics on stderr; ANSI colours only on a terminal, and never with
/// `--no-color`, `NO_COLOR` or `TERM=dumb` (a log file gets plain text).
fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let ansi = commands::output::colour_on_stderr();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// A closed pipe (`tfaudit rules | head`) ends the process quietly, as it does
/// for other command-line tools, instead of a panic on the next write.
fn exit_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE at the start of
    // `main`, before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The advisor is a long-running server whose work waits on S3: one glibc malloc
/// arena instead of one per thread. With the default arenas its peak RSS after a
/// cold cycle over 10,000 states was 150 MiB; with one, 115 MiB
/// (`auditor/benches/serve.sh`). musl (the static release builds) has no arenas.
fn one_allocator_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called at the start of `main`, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

fn main() {
    exit_quietly_on_closed_pipe();
    let cli = Cli::parse_and_configure();
    if matches!(cli.command, Command::Serve(_)) {
        one_allocator_arena();
    }
    init_logging(&cli.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tfaudit: cannot start the async runtime: {error}");
            std::process::exit(2);
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Plan(args) => commands::plan::run(args).await,
            Command::State(args) => commands::state::run(args).await,
            Command::Drift(args) => commands::drift::run(args).await,
            Command::Gate(args) => commands::gate::run(args).await,
            Command::Verify(args) => commands::verify::run(args).await,
            Command::Keygen(args) => commands::keygen::run(args).await,
            Command::Rules(args) => commands::rules::run(args).await,
            Command::Lock(args) => commands::lock::run(args).await,
            Command::Serve(args) => commands::serve::run(args).await,
        }
    });
    let code = match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("tfaudit: error: {error}");
            error.exit_code()
        }
    };
    std::process::exit(code);
}
