//! Recruiter HTML views, one module per screen. Every page is a typed askama template extending `base.html`.

mod account;
mod layout;
mod playback;
mod timeline;
pub use account::SETUP_TTL_MS;
mod admin;
mod answers;
mod audit;
mod bulk;
mod candidates;
mod dashboard;
mod interviews;
pub(crate) mod invitations;
mod public_link;
mod responses;
mod shared;
mod tokens;
mod webhooks;

use super::auth::CurrentUser;
use crate::web::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::Redirect;
use axum::routing::{get, post};

pub use layout::UPLOAD_LIMIT_BYTES;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/setup/{token}", get(account::setup_form).post(account::setup_submit))
        .route("/login", get(account::login_form).post(account::login_submit))
        .route("/login/code", get(account::second_step_form).post(account::second_step_submit))
        .route("/login/code/qr.svg", get(account::second_step_qr))
        .route("/logout", post(account::logout))
        .route("/password/forgot", get(account::forgot_form).post(account::forgot_submit))
        .route("/password/{purpose}/{token}", get(account::choose_password_form).post(account::choose_password_submit))
        .route("/profile", get(account::profile_form).post(account::profile_submit))
        .route("/profile/password", post(account::change_password))
        .route("/profile/two-factor", get(account::two_factor_form).post(account::two_factor_enable))
        .route("/profile/two-factor/qr.svg", get(account::two_factor_qr))
        .route("/profile/two-factor/disable", post(account::two_factor_disable))
        .route("/profile/two-factor/recovery-codes", post(account::recovery_codes_renew))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}/revoke", post(tokens::revoke))
        .route("/settings", get(admin::settings_form).post(admin::settings_submit))
        .route("/settings/privacy", post(admin::privacy_submit))
        .route("/settings/logo", post(admin::logo_submit).layer(DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES)))
        .route("/org/logo", get(admin::logo))
        .route("/users", get(admin::users_list).post(admin::user_create))
        .route("/users/new", get(admin::user_new))
        .route("/users/{id}/active", post(admin::user_set_active))
        .route("/outbox", get(admin::outbox_list))
        .route("/outbox/{id}", get(admin::outbox_view))
        .route("/jobs", get(admin::jobs_list))
        .route("/audit", get(audit::list))
        .route("/audit.csv", get(audit::export))
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/webhooks/{id}", get(webhooks::view).post(webhooks::update))
        .route("/webhooks/{id}/delete", post(webhooks::delete))
        .route("/webhooks/{id}/test", post(webhooks::test))
        .route("/webhooks/{id}/deliveries/{delivery}/redeliver", post(webhooks::redeliver))
        .route("/jobs/retry-dead", post(admin::jobs_retry_dead))
        .route("/jobs/{id}/retry", post(admin::job_retry))
        .route("/invitations", get(invitations::list).post(invitations::create))
        .route("/invitations/new", get(invitations::new_form))
        .route("/invitations/bulk", get(bulk::form).post(bulk::create).layer(DefaultBodyLimit::max(6 * 1024 * 1024)))
        .route("/invitations/bulk/{id}", get(bulk::view))
        .route("/invitations/bulk/{id}/send", post(bulk::send))
        .route("/invitations/bulk/{id}/cancel", post(bulk::cancel))
        .route("/invitations/{id}/edit", get(invitations::edit_form).post(invitations::edit))
        .route("/invitations/{id}/resend", post(invitations::resend))
        .route("/invitations/{id}/disable", post(invitations::disable))
        .route("/invitations/{id}/delete", get(invitations::delete_confirm).post(invitations::delete))
        .route("/invitations/{id}/link", get(invitations::link))
        .route("/invitations/{id}/answers", get(answers::view))
        .route("/invitations/{id}/takes/{take}/media", get(answers::media))
        .route("/invitations/{id}/ratings", post(answers::rate))
        .route("/invitations/{id}/comments", post(answers::comment))
        .route("/invitations/{id}/scores", post(answers::score))
        .route("/invitations/{id}/decision", post(answers::decide))
        .route("/invitations/{id}/comments/{comment}", post(answers::edit_comment))
        .route("/invitations/{id}/comments/{comment}/delete", post(answers::delete_comment))
        .route("/invitations/{id}/shares", post(answers::share))
        .route("/invitations/{id}/shares/{share}/revoke", post(answers::revoke_share))
        .route("/s/{token}", get(shared::view))
        .route("/s/{token}/ratings", post(shared::rate))
        .route("/s/{token}/takes/{take}/media", get(shared::media))
        .route("/interviews", get(interviews::list).post(interviews::create))
        .route("/interviews/new", get(interviews::new_form))
        .route("/interviews/{id}", post(interviews::update))
        .route("/interviews/{id}/edit", get(interviews::edit_form))
        .route("/interviews/{id}/clone", get(interviews::clone_form).post(interviews::clone))
        .route("/interviews/{id}/delete", get(interviews::delete_confirm).post(interviews::delete))
        .route("/interviews/{id}/responses", get(responses::list))
        .route("/interviews/{id}/public-link", get(public_link::form).post(public_link::save))
        .route("/interviews/{id}/dashboard", get(dashboard::interview))
        .route("/dashboard", get(dashboard::organization))
        .route("/interviews/{id}/responses.csv", get(responses::export))
        .route("/interviews/{id}/compare", get(responses::compare))
        .route("/interviews/{id}/scorecard", get(responses::scorecard))
        .route("/interviews/{id}/criteria", post(responses::add_criterion))
        .route("/interviews/{id}/criteria/{criterion}", post(responses::rename_criterion))
        .route(
            "/interviews/{id}/criteria/{criterion}/delete",
            get(responses::delete_criterion_confirm).post(responses::delete_criterion),
        )
        .route("/candidates", get(candidates::list).post(candidates::create))
        .route("/candidates/new", get(candidates::new_form))
        .route("/candidates/suggest", get(candidates::suggest))
        .route(
            "/candidates/import",
            get(candidates::import_form)
                .post(candidates::import_submit)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES + 4 * 1024 * 1024)),
        )
        .route("/candidates/{id}", get(candidates::view).post(candidates::update))
        .route("/candidates/{id}/edit", get(candidates::edit_form))
        .route("/candidates/{id}/delete", get(candidates::delete_confirm).post(candidates::delete))
        .route("/candidates/{id}/export", get(candidates::export))
}

async fn home(user: Option<CurrentUser>) -> Redirect {
    match user {
        Some(_) => Redirect::to("/candidates"),
        None => Redirect::to("/login"),
    }
}
