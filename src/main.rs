use candor::cli::{AdminCommand, Cli, Command, ImportCommand};
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// jemalloc instead of the system allocator: hundreds of concurrent uploads on many threads left glibc's per-thread
/// arenas holding several hundred MiB of freed memory; jemalloc gives it back.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings (`_RJEM_MALLOC_CONF` still overrides them):
/// - memory freed by finished uploads goes back to the system within about a second, by jemalloc's own background
///   thread, instead of staying with the process for ten seconds after a burst — hundreds of uploads freeing chunks
///   at once kept tens of MiB that way;
/// - only allocations up to 4 KiB are cached per thread (`tcache_max`; jemalloc's default is 32 KiB). An upload's
///   chunks are allocated by the threads that read the sockets and freed by the ones that write the files, so each
///   writer thread's cache filled with chunk-sized blocks nobody on that thread would take again: with the disk
///   slower than the uploads, 38 MiB of the server's 158 MiB peak.
#[allow(non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static malloc_conf: &[u8] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,tcache_max:4096\0";

fn main() -> anyhow::Result<()> {
    // Blocking work (file writes of uploads, password hashing) runs on a bounded pool: a few hundred uploads' writes
    // at once should queue for 64 threads, not start hundreds of threads with their own stacks and allocator arenas.
    tokio::runtime::Builder::new_multi_thread().enable_all().max_blocking_threads(64).build()?.block_on(run())
}

/// Logs to stderr: `CANDOR_LOG_FORMAT=json` writes one JSON object per line (for log shippers); otherwise text,
/// coloured only when stderr is a terminal.
fn init_logs() {
    use std::io::IsTerminal;
    let filter = EnvFilter::try_from_env("CANDOR_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match std::env::var("CANDOR_LOG_FORMAT").as_deref() {
        Ok("json") => builder.json().flatten_event(true).with_current_span(true).init(),
        _ => builder.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}

async fn run() -> anyhow::Result<()> {
    candor::heap::jemalloc_is_the_allocator();
    init_logs();
    let cli = Cli::parse();
    let config = cli.opts.config();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            tracing::info!(?config, "starting");
            let app = candor::Application::build(config).await?;
            eprintln!("Candor is listening on {}", app.state().usecases.base_url);
            if let Some(link) = app.setup_link() {
                println!(
                    "\nNo account exists yet. Open this link to create your organization and its first admin \
                     (valid 24 hours, once):\n\n    {link}\n\nOr from a shell: candor admin create-user --org-name NAME \
                     --timezone Europe/Helsinki --email you@example.com --password '…'\n"
                );
            }
            app.run_until_stopped(candor::app::shutdown_signal()).await
        }
        Command::Migrate => {
            let store = candor::store::Store::connect(&config.resolved_database_url(), 2).await?;
            candor::store::migrate::migrate(&store).await?;
            eprintln!("The database is up to date.");
            Ok(())
        }
        Command::Admin(cmd @ AdminCommand::CreateUser { .. }) => candor::cli::create_user(&config, cmd).await,
        Command::Admin(AdminCommand::CreateToken { email }) => candor::cli::create_token(&config, &email).await,
        Command::Import(ImportCommand::Candidates { file, org_name }) => {
            candor::cli::import_candidates(&config, &file, &org_name).await
        }
    }
}
