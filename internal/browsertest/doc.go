// Package browsertest drives real browser engines from tests: Chromium over
// the DevTools protocol (chromedp), Firefox over WebDriver BiDi and WebKitGTK
// over classic WebDriver. A Browser opens a page and keeps what the engine
// wrote to that page's console, so a test can show the engine's own reason
// for a request it blocked. Only tests import it.
package browsertest
