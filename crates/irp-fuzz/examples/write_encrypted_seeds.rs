//! Writes the encrypted seeds of `corpus/payload/` and `corpus/credentials/` from the plain
//! seeds, with the targets' fixed SEK and test key. Run it after changing either:
//! `cargo run -p irp-fuzz --example write_encrypted_seeds`. The replay test checks that the
//! committed encrypted seeds decrypt to the plain ones.

use std::path::Path;

use irp_core::protocol::{encode_base64, encrypt_credentials, encrypt_payload};
use irp_fuzz::{SEK, auth_key};

fn main() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let read = |path: &str| std::fs::read(corpus.join(path)).expect("a plain seed");
    let write = |path: &str, text: &str| std::fs::write(corpus.join(path), text).expect("written");
    let cancel = read("cancel/with-remark.json");
    let invoice = read("invoice/intra-state.json");
    let envelope = |data: &str| format!(r#"{{"Data":"{data}"}}"#);
    write(
        "payload/envelope-cancel.json",
        &envelope(&encrypt_payload(&SEK, &cancel)),
    );
    write(
        "payload/envelope-invoice.json",
        &envelope(&encrypt_payload(&SEK, &invoice)),
    );
    // A client that encrypts base64(JSON), in a body with a BOM and the member in lower case.
    let inner = encode_base64(&cancel);
    write(
        "payload/envelope-base64-json.json",
        &format!(
            "\u{feff}{{\"data\":\"{}\"}}",
            encrypt_payload(&SEK, inner.as_bytes())
        ),
    );
    write("payload/data.txt", &encrypt_payload(&SEK, &cancel));
    let login = read("credentials/login.json");
    let data = encrypt_credentials(auth_key().public_key(), &login).expect("short enough");
    write("credentials/login-data.txt", &data);
}
