//! Candor: self-hosted one-way video interviews.
//!
//! Layers, top to bottom (a module uses only the ones below it):
//! `app` → `web` → `usecase` → `jobs` / `mail` → `store` → `domain`. See ARCHITECTURE.md.

pub mod app;
pub mod cli;
pub mod config;
pub mod disk;
pub mod domain;
pub mod heap;
pub mod i18n;
pub mod import;
pub mod jobs;
pub mod mail;
pub mod media;
pub mod store;
pub mod usecase;
pub mod web;

pub use app::Application;
pub use config::Config;

/// Installs rustls's ring crypto provider for the process's HTTPS clients (S3 media storage); idempotent. ring is
/// already the provider behind SMTP's TLS, and aws-lc stays out of the build.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
