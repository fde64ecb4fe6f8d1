//! Candor's integration tests: one binary, every scenario on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod accounts;
mod api;
mod audit;
mod bulk;
mod candidate;
mod candidates;
mod cli;
mod hardening;
mod health;
mod import;
mod interviews;
mod invitations;
mod jobs;
mod mail;
mod multinode;
mod odd_input;
mod privacy;
mod public_links;
mod review;
mod tenancy;
mod tokens;
mod tus_details;
mod two_factor;
mod upkeep;
mod uploads;
mod webhooks;
mod workspace;
