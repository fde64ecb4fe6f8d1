//! `Application::build(config)`: data folder, database (migrated), metrics, mailer, worker, and a bound listener.

use crate::config::Config;
use crate::jobs::Worker;
use crate::mail::Mailer;
use crate::media::MediaStore;
use crate::store::{self, Store, sessions};
use crate::web::{self, AppState, Inner};
use anyhow::Context;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};
use tokio::net::TcpListener;

static METRICS: OnceLock<PrometheusHandle> = OnceLock::new();

fn metrics_handle() -> anyhow::Result<PrometheusHandle> {
    if let Some(h) = METRICS.get() {
        return Ok(h.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("candor_http_request_duration_seconds".into()),
            &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0],
        )?
        .install_recorder()
        .or_else(|e| METRICS.get().cloned().ok_or(e))?;
    Ok(METRICS
        .get_or_init(|| {
            // Histogram samples wait in the recorder until upkeep folds them into their buckets: without it, a
            // server nobody scrapes would keep every request's duration.
            let upkeep = handle.clone();
            let thread = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            });
            if let Err(e) = thread {
                tracing::warn!(error = %e, "cannot start the metrics upkeep thread");
            }
            handle
        })
        .clone())
}

pub struct Application {
    listener: TcpListener,
    port: u16,
    state: AppState,
    setup_link: Option<String>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        crate::install_tls_provider();
        std::fs::create_dir_all(&config.data_dir)?;
        let store = Store::connect(&config.resolved_database_url(), config.max_db_connections).await?;
        store::migrate::migrate(&store).await?;
        let listener = TcpListener::bind(config.listen).await?;
        let port = listener.local_addr()?.port();
        let base_url = match &config.base_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}:{port}", config.listen.ip()),
        };
        let mailer = Mailer::from_config(&config)?;
        let media = MediaStore::from_config(&config)?;
        let node_id = store::new_id();
        // A wrong bucket or an unwritable folder stops the start, rather than the first candidate's recording.
        media.check(&node_id).await.context("the media storage (CANDOR_MEDIA_URL or DATA_DIR/media) is not usable")?;
        // One key for every node: the operator's, or the deployment's in the database (never a per-node file, which
        // made a link copied on one node unknown to the others).
        let link_key = match config.configured_link_key()? {
            Some(key) => key,
            None => store::deployment::link_key(&store, config.legacy_link_key()).await?,
        };
        let secure_cookies = base_url.starts_with("https://");
        let usecases = crate::usecase::Context { store: store.clone(), link_key, base_url, webhooks: config.webhooks };
        let worker = Worker::new(mailer, config.mail_from.clone(), media.clone(), usecases.clone());
        let disk = crate::disk::DiskSpace::new(&config.data_dir, config.disk_reserve, config.disk_warn_below);
        let state = AppState(Arc::new(Inner {
            usecases,
            disk,
            node_id,
            media_checked_at: std::sync::atomic::AtomicI64::new(0),
            funnels: Default::default(),
            secure_cookies,
            metrics: metrics_handle()?,
            store,
            media,
            config,
            worker,
        }));
        let setup_link = if store::orgs::any_exists(&state.store).await? {
            None
        } else {
            let (token, hash) = sessions::new_secret()?;
            let mut conn = state.store.write().acquire().await?;
            sessions::insert_one_time_token(
                &mut conn,
                &state.store,
                "setup",
                None,
                &hash,
                crate::web::pages::SETUP_TTL_MS,
            )
            .await?;
            Some(state.link(&format!("/setup/{token}")))
        };
        Ok(Self { listener, port, state, setup_link })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The one-time link to create the first organization, when none exists yet.
    pub fn setup_link(&self) -> Option<&str> {
        self.setup_link.as_deref()
    }

    /// Serves until `shutdown` resolves: in-flight requests finish, then the worker stops after its current job.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let workers: Vec<_> = if self.state.config.run_worker {
            let mut tasks: Vec<_> = crate::jobs::lanes(self.state.config.worker_concurrency)
                .into_iter()
                .map(|lane| tokio::spawn(self.state.worker.clone().run(stop_rx.clone(), lane)))
                .collect();
            tasks.push(tokio::spawn(self.state.worker.clone().run_upkeep(stop_rx.clone())));
            tasks
        } else {
            Vec::new()
        };
        let router = web::router(self.state.clone());
        serve(self.listener, router, shutdown).await;
        let _ = stop_tx.send(true);
        for w in workers {
            let _ = w.await;
        }
        self.state.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Largest read buffer of a connection, which is also the most a request body hands over at a time. hyper's default
/// (about 400 KiB) let every connection that had streamed an upload chunk keep such a buffer: with hundreds of
/// candidates uploading at once, most of the server's memory.
const CONNECTION_BUFFER: usize = crate::media::BODY_CHUNK;

/// Serves HTTP/1 and HTTP/2 on `listener` until `shutdown` resolves, then lets open requests finish. Every accepted
/// connection gets TCP_NODELAY (a response written in two pieces would otherwise wait for the client's delayed ACK:
/// 40 ms per request on keep-alive connections, which players' range requests use) and a bounded read buffer.
async fn serve(listener: TcpListener, router: axum::Router, shutdown: impl std::future::Future<Output = ()>) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use tower::ServiceExt;
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http1().max_buf_size(CONNECTION_BUFFER);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let service = router.clone().map_request(move |mut req: axum::extract::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
            crate::web::candidate::tus::apply_method_override(&mut req);
            req
        });
        let conn = builder
            .serve_connection_with_upgrades(
                TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            )
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
