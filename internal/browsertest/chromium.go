package browsertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium is headless Chromium under chromedp, the maintained Go client
// of the DevTools protocol.
type chromium struct {
	ctx context.Context // the tab's; canceled when the test ends
}

func startChromium(ctx context.Context, t testing.TB, b *Browser, path string, o Options) (driver, error) {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		// No network but the test's: no QUIC probes, updates, sync or field trials.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// No UserDataDir: chromedp makes a temporary one and removes it
		// once the browser has exited.
	}
	if len(o.TrustedKeys) > 0 {
		opts = append(opts, chromedp.Flag("ignore-certificate-errors-spki-list", strings.Join(o.TrustedKeys, ",")))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	read := make(chan struct{})
	t.Cleanup(func() {
		// A graceful close (Browser.close) lets Chromium remove what it
		// keeps in /tmp; canceling kills it.
		ctx, cancel := context.WithTimeout(tabCtx, 5*time.Second)
		chromedp.Cancel(ctx)
		cancel()
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
		<-read
	})
	// Console starts the browser and subscribes before any page loads.
	messages := chromedp.Console(tabCtx)
	go func() {
		defer close(read)
		for m, err := range messages {
			if err != nil {
				return
			}
			b.record(Message{Level: string(m.Type), Text: m.Text})
		}
	}()
	// The browser is up once it answers a first command.
	startCtx, cancel := context.WithCancel(tabCtx)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	if err := chromedp.Do(startCtx, chromedp.Navigate("about:blank")); err != nil {
		return nil, err
	}
	return &chromium{ctx: tabCtx}, nil
}

func (c *chromium) open(ctx context.Context, url string) error {
	navCtx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	return chromedp.Do(navCtx, chromedp.Navigate(url))
}
