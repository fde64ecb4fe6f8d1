//! What every handler is given: the store, the use-case context, media storage, configuration and the few things
//! of this process (metrics, worker, disk and media health).

use crate::config::Config;
use crate::jobs::Worker;
use crate::store::Store;
use metrics_exporter_prometheus::PrometheusHandle;
use std::ops::Deref;
use std::sync::Arc;

pub struct Inner {
    pub store: Store,
    /// What the use cases need: the same store, the key personal links are derived from, and the address people
    /// reach Candor at (without a trailing slash).
    pub usecases: crate::usecase::Context,
    /// Where recordings are stored.
    pub media: crate::media::MediaStore,
    pub config: Config,
    pub secure_cookies: bool,
    pub metrics: PrometheusHandle,
    pub worker: Worker,
    /// Free space where DATA_DIR is.
    pub disk: crate::disk::DiskSpace,
    /// This process, in health checks.
    pub node_id: String,
    /// When the media storage last passed the health check (Unix ms): checked at most every 30 s.
    pub media_checked_at: std::sync::atomic::AtomicI64,
    /// Dashboards computed a moment ago (at most a few seconds old).
    pub funnels: crate::store::responses::FunnelCache,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// An absolute link to `path` on this site.
    pub fn link(&self, path: &str) -> String {
        self.usecases.link(path)
    }
}

/// Whether a link token could be one of ours at all (base64url, bounded); anything else is a 404 without a query.
pub(crate) fn token_shape_ok(token: &str) -> bool {
    token.len() <= 64 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
