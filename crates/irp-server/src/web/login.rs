//! Log in, log out and change the password. The password check is the API's
//! (`api::auth::check_password`): the same lockout, the same decoy for unknown users, the same
//! queue in front of Argon2, and the same audit of refusals.

use std::time::Instant;

use askama::Template;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use irp_core::codes::Code;

use crate::api::QueryParams;
use crate::api::auth::check_password;
use crate::envelope::ApiError;
use crate::secrets;
use crate::state::AppState;
use crate::web::session::{self, WEB_CLIENT, same_origin, set_cookie};
use crate::web::{Chrome, OrPage as _, WebError, WebUser, html, input};

/// The shortest new password the web mode accepts.
const MIN_PASSWORD_LENGTH: usize = 10;
/// A login form is a user name and a password: nothing larger is read from a stranger.
const MAX_LOGIN_FORM_BYTES: usize = 8 * 1024;
/// The longest user name looked at; a longer one is refused before any other work.
const MAX_USER_NAME_CHARS: usize = 100;

#[derive(Template)]
#[template(path = "web/login.html")]
struct LoginPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    error: Option<String>,
    user_name: String,
}

/// `GET /login`.
pub async fn page(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = QueryParams::parse(query.as_deref().unwrap_or(""));
    let notice = if query.get("expired").is_some() {
        Some("Your session has ended. Log in again.")
    } else if query.get("bye").is_some() {
        Some("You have logged out.")
    } else if query.get("changed").is_some() {
        Some("Your password has been changed. Log in with the new password.")
    } else {
        None
    };
    html(&LoginPage {
        chrome: Chrome::anonymous(&state),
        notice,
        error: None,
        user_name: String::new(),
    })
}

/// `POST /login`: a session cookie and the dashboard, or the form again with the reason.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, WebError> {
    if !same_origin(&headers) {
        return Err(WebError::Forbidden);
    }
    let fields = input::form_within(&state, body, MAX_LOGIN_FORM_BYTES).await?;
    let user_name = fields.get("user_name").unwrap_or_default().to_owned();
    let password = fields.raw("password");
    let again = |error: String| {
        html(&LoginPage {
            chrome: Chrome::anonymous(&state),
            notice: None,
            error: Some(error),
            user_name: user_name.clone(),
        })
    };
    if user_name.is_empty() || password.is_empty() {
        return Ok(again("Enter your user name and password.".to_owned()));
    }
    if user_name.chars().count() > MAX_USER_NAME_CHARS {
        return Ok(again(REFUSED.to_owned()));
    }
    // Every web login of this node shares the budget of one API client (`@web`), so a flood
    // of them cannot fill the password checks' queue that API logins wait in.
    let now = Instant::now();
    let admitted = state
        .login_gate
        .admit_client(WEB_CLIENT, now)
        .and_then(|()| {
            state
                .login_gate
                .admit_user(WEB_CLIENT, &user_name.to_lowercase(), now)
        });
    let user = match admitted {
        Err(refusal) => Err(crate::api::auth::turned_away(refusal)),
        Ok(()) => check_password(&state, None, &user_name, password).await,
    };
    let user = match user {
        Ok(user) => user,
        Err(error) => return Ok(again(login_refusal(&error))),
    };
    let token = session::start(&state, &user.user_name, &user.gstin, state.clock.now()).await?;
    let mut response = Redirect::to("/dashboard").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(&state, &headers, Some(&token)),
    );
    Ok(response)
}

/// What the login page says to every refused login, whatever the reason: an unknown user, a
/// wrong password, a locked or a deactivated user read the same, so the page tells a guesser
/// nothing about which user names exist.
const REFUSED: &str = "Wrong user name or password, or this user cannot log in now: after \
     too many wrong passwords a user is locked for a while, and an administrator may have \
     deactivated it.";

/// What the login page says to a refused login: [`REFUSED`], unless the portal turned the
/// login away before looking (too many logins) or could not check it.
fn login_refusal(error: &ApiError) -> String {
    let first = error.errors.first();
    match first.map(|e| e.code) {
        Some(Code::E1007) => first.map(|e| e.message.clone()).unwrap_or_default(),
        Some(Code::E5001) => "The portal could not check the password; try again.".to_owned(),
        _ => REFUSED.to_owned(),
    }
}

/// `POST /logout`: ends the session on every node.
pub async fn logout(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, WebError> {
    let fields = input::form(&state, body).await?;
    user.check_form(fields.get("csrf"))?;
    session::end(&state, &headers).await?;
    let mut response = Redirect::to("/login?bye=1").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&state, &headers, None));
    Ok(response)
}

#[derive(Template)]
#[template(path = "web/password.html")]
struct PasswordPage {
    chrome: Chrome,
    error: Option<String>,
    min_length: usize,
}

/// `GET /password`.
pub async fn password_page(State(state): State<AppState>, user: WebUser) -> Response {
    html(&PasswordPage {
        chrome: user.chrome(&state),
        error: None,
        min_length: MIN_PASSWORD_LENGTH,
    })
}

/// `POST /password`: checks the current password (a wrong one counts towards the lockout),
/// sets the new one, which ends every session of the user, and sends it to log in again.
pub async fn change_password(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, WebError> {
    let fields = input::form(&state, body).await?;
    user.check_form(fields.get("csrf"))?;
    let again = |error: &str| {
        html(&PasswordPage {
            chrome: user.chrome(&state),
            error: Some(error.to_owned()),
            min_length: MIN_PASSWORD_LENGTH,
        })
    };
    let (current, new, confirm) = (
        fields.raw("current"),
        fields.raw("new"),
        fields.raw("confirm"),
    );
    if new.chars().count() < MIN_PASSWORD_LENGTH {
        return Ok(again(&format!(
            "The new password must have at least {MIN_PASSWORD_LENGTH} characters."
        )));
    }
    if new != confirm {
        return Ok(again("The two new passwords differ."));
    }
    if new == current {
        return Ok(again("The new password must differ from the current one."));
    }
    if let Err(error) = check_password(&state, None, &user.caller.user_name, current).await {
        let message = match error.errors.first().map(|e| e.code) {
            Some(Code::E1019) => "The current password is wrong.".to_owned(),
            _ => login_refusal(&error),
        };
        return Ok(again(&message));
    }
    let hash = {
        let new = new.to_owned();
        tokio::task::spawn_blocking(move || secrets::hash_password(&new))
            .await
            .or_page()?
    };
    state
        .store
        .set_password(&user.caller.user_name, &hash, state.clock.now())
        .await
        .or_page()?;
    let mut response = Redirect::to("/login?changed=1").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&state, &headers, None));
    Ok(response)
}
