//! Headless Chromium over WebDriver (chromedriver), for the web mode's tests. Without
//! `chromedriver` on the PATH the tests print a notice and pass locally, and fail in CI, where
//! `scripts/test.sh` installs Debian's `chromium` and `chromium-driver`.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// A chromedriver process and one browser session driven through it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    /// chromedriver's port, for the Chrome DevTools commands WebDriver has no verb for.
    port: u16,
}

/// A CSS pixel is 1/96 inch; a print at 300 dpi has 300/96 device pixels per CSS pixel.
pub const PRINT_DPI_SCALE: f64 = 300.0 / 96.0;
/// An A4 page (210 × 297 mm) in CSS pixels.
pub const A4_CSS_PX: (u32, u32) = (794, 1123);

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    })
}

impl Browser {
    /// A fresh headless browser; `None` (skip) when chromedriver is missing, except in CI.
    pub async fn start() -> Option<Browser> {
        let Some(driver_path) = on_path("chromedriver") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "chromedriver is missing: scripts/test.sh installs chromium and chromium-driver"
            );
            #[allow(clippy::print_stderr)] // the notice a skipped test owes its reader
            {
                eprintln!("notice: chromedriver not found; the browser test is skipped");
            }
            return None;
        };
        let port = free_port();
        let mut driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let stdout = driver.stdout.take().unwrap();
        let (ready, started) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("started successfully") {
                    let _ = ready.send(());
                }
            }
        });
        started
            .recv_timeout(Duration::from_secs(30))
            .expect("chromedriver reports that it started");
        let mut capabilities = serde_json::Map::new();
        let mut args = vec![
            "--headless=new",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1280,1000",
            "--lang=en-IN",
        ];
        // Chromium's sandbox needs user namespaces, which containers and root do not give.
        args.push("--no-sandbox");
        let mut options = json!({ "args": args });
        for binary in ["chromium", "chromium-browser", "google-chrome"] {
            if let Some(path) = on_path(binary) {
                options["binary"] = json!(path);
                break;
            }
        }
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session");
        Some(Browser {
            client,
            driver,
            port,
        })
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("element {css}: {e}"))
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let element = self.find(css).await;
        element.clear().await.unwrap();
        element.send_keys(value).await.unwrap();
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.find(css).await.select_by_value(value).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// The path of the page shown, without the host.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        let mut path = url.path().to_owned();
        if let Some(query) = url.query() {
            path.push('?');
            path.push_str(query);
        }
        path
    }

    pub async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// The session cookie, to call the portal outside the browser as the same user.
    pub async fn session_cookie(&self) -> String {
        let cookie = self.client.get_named_cookie("irp_session").await.unwrap();
        format!("irp_session={}", cookie.value())
    }

    /// Saves a screenshot of the page as `docs/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Runs a Chrome DevTools command in the page through chromedriver.
    async fn devtools(&self, command: &str, params: serde_json::Value) {
        let session = self.client.session_id().await.unwrap().unwrap();
        let response = reqwest::Client::new()
            .post(format!(
                "http://127.0.0.1:{}/session/{session}/goog/cdp/execute",
                self.port
            ))
            .header("content-type", "application/json")
            .body(json!({ "cmd": command, "params": params }).to_string())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{command}: {response:?}");
    }

    /// Shows pages in a viewport of `width` × `height` CSS pixels with `scale` device pixels
    /// each, so that a screenshot has the resolution of a print.
    pub async fn emulate_viewport(&self, (width, height): (u32, u32), scale: f64) {
        self.devtools(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": scale, "mobile": false }),
        )
        .await;
    }

    /// Back to the window's own viewport.
    pub async fn clear_viewport(&self) {
        self.devtools("Emulation.clearDeviceMetricsOverride", json!({}))
            .await;
    }

    /// The page as the browser prints it: A4 portrait at 100 % (never shrunk to fit, so that
    /// anything too wide is cut off as on paper), with no margins imposed, so that the page's
    /// own `@page` margins apply as in the print preview's default.
    pub async fn print_a4(&self) -> Vec<u8> {
        let configuration = fantoccini::wd::PrintConfiguration::builder()
            .size(fantoccini::wd::PrintSize::A4)
            .margins(fantoccini::wd::PrintMargins {
                top: 0.0,
                bottom: 0.0,
                left: 0.0,
                right: 0.0,
            })
            .shrink_to_fit(false)
            .background(true)
            .build()
            .unwrap();
        self.client.print(configuration).await.unwrap()
    }

    /// Ends the browser session; the driver is killed when the value drops.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
