package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/vitrin/vitrin/internal/config"
)

// browser is a headless Chromium for one test. Without Chromium the test
// is skipped, except under CI=true, where it fails: .ci/run installs it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium on PATH (apt-get install -y chromium)")
		}
		t.Skip("no Chromium on PATH (apt-get install -y chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// tab opens a tab of the browser. Its timeout is a safety net for a page
// that never shows what the test waits for; no assertion depends on it.
func tab(t *testing.T, browser context.Context) context.Context {
	ctx, closeTab := chromedp.NewContext(browser)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancel(); closeTab() })
	return ctx
}

// storefront stands in for a storefront built on @akinon/next 1.24 in
// front of Vitrin at commerce, doing in the browser's path what the real
// client does: the redirect-three-d page (components/redirect-three-d)
// loads Vitrin's form through the client proxy (api/client.ts), adds
// pzparams and submits it; the bank's return to
// /orders/checkout/?page=CreditCardThreeDSecurePage is forwarded to Vitrin
// by middlewares/three-d-redirection.ts, and a hosted payment page's return
// to /orders/checkout/?page=RedirectionPageCompletePage by
// middlewares/redirection-payment.ts: each answers a 303 to the context's
// redirect_url, or to the checkout with the errors in a cookie.
func storefront(commerce *string, sessionCookie string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/redirect-three-d/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, redirectThreeDPage)
	})
	mux.HandleFunc("GET /api/client/orders/redirect-three-d/", func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequest("GET", *commerce+"/orders/redirect-three-d/", nil)
		req.Header.Set("Cookie", r.Header.Get("Cookie"))
		req.Header.Set("X-Requested-With", "XMLHttpRequest")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		html, _ := io.ReadAll(resp.Body)
		_ = json.NewEncoder(w).Encode(map[string]string{"result": string(html)})
	})
	mux.HandleFunc("/orders/checkout/", func(w http.ResponseWriter, r *http.Request) {
		page := r.URL.Query().Get("page")
		if r.Method != http.MethodPost || (page != "CreditCardThreeDSecurePage" && page != "RedirectionPageCompletePage") {
			fmt.Fprint(w, `<!DOCTYPE html><h1 id="checkout">Checkout</h1>`)
			return
		}
		forwardReturn(w, r, *commerce, sessionCookie)
	})
	mux.HandleFunc("GET /orders/completed/{token}/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!DOCTYPE html><h1>Thank you</h1><p id="order-token">%s</p>`, r.PathValue("token"))
	})
	return mux
}

// forwardReturn is middlewares/three-d-redirection.ts and
// middlewares/redirection-payment.ts, which do the same.
func forwardReturn(w http.ResponseWriter, r *http.Request, commerce, sessionCookie string) {
	body, _ := io.ReadAll(r.Body)
	req, _ := http.NewRequest("POST", commerce+"/orders/checkout/?"+r.URL.RawQuery, strings.NewReader(string(body)))
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	session, _ := r.Cookie(sessionCookie)
	if session != nil {
		req.Header.Set("Cookie", sessionCookie+"="+session.Value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Redirect(w, r, "/orders/checkout/", http.StatusSeeOther)
		return
	}
	defer resp.Body.Close()
	var answer struct {
		ContextList []struct {
			PageContext map[string]any `json:"page_context"`
		} `json:"context_list"`
		Errors map[string]any `json:"errors"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&answer)
	if len(answer.Errors) > 0 {
		raw, _ := json.Marshal(answer.Errors)
		w.Header().Add("Set-Cookie", "pz-pos-error="+url.QueryEscape(string(raw))+"; path=/")
		http.Redirect(w, r, "/orders/checkout/", http.StatusSeeOther)
		return
	}
	for _, c := range answer.ContextList {
		if u, ok := c.PageContext["redirect_url"].(string); ok && u != "" {
			http.Redirect(w, r, u, http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, "/orders/checkout/", http.StatusSeeOther)
}

// redirectThreeDPage is components/redirect-three-d/content/index.tsx.
const redirectThreeDPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Redirecting</title></head><body><p>Loading…</p>
<script>
fetch('/api/client/orders/redirect-three-d/').then(r => r.json()).then(data => {
  const fragment = document.createElement('fragment');
  fragment.innerHTML = data.result;
  const form = fragment.querySelector('form');
  if (fragment.querySelector('link[rel="canonical"]') || !form) {
    document.body.textContent = 'Redirecting to checkout page. Please wait...';
    return;
  }
  const pzParamsInput = document.createElement('input');
  pzParamsInput.setAttribute('type', 'hidden');
  pzParamsInput.setAttribute('name', 'pzparams');
  pzParamsInput.setAttribute('value', encodeURIComponent(JSON.stringify({session: 'x', locale: 'en'})));
  form.appendChild(pzParamsInput);
  form.style.display = 'none';
  document.body.appendChild(form);
  form.submit();
});
</script></body></html>`

// A shopper pays with 3-D Secure in a real browser: from the storefront's
// redirect page through the sandbox bank, clicking Approve or Decline,
// back through the storefront to the thank-you page (an order) or to the
// checkout (no order, stock as before, the basket kept).
func TestBrowserThreeDSecure(t *testing.T) {
	ctx := browser(t)
	var commerce string
	front := httptest.NewServer(storefront(&commerce, "osessionid"))
	t.Cleanup(front.Close)
	cs := newCheckoutStore(t, func(c *config.Config) { c.StorefrontURL = front.URL })
	commerce = cs.srv.URL

	for _, click := range []string{"approve", "decline"} {
		t.Run(click, func(t *testing.T) {
			stockBefore, ordersBefore := cs.stock("TEE-B"), cs.count("SELECT COUNT(*) FROM orders")
			sh := cs.buyer(t, true, click+"@example.com", "TEE-B", 1)
			nextPage(t, payByCard(t, cs, sh, "4000 0000 0000 3220", 1, true).must(t, 200), "CreditCardThreeDSecurePage")
			tab := tab(t, ctx)
			_, err := chromedp.Call(tab, network.SetCookie, network.SetCookieParams{
				Name: "osessionid", Value: sh.cookie("osessionid"), URL: cs.srv.URL})
			if err == nil {
				err = chromedp.Do(tab,
					chromedp.Navigate(front.URL+"/orders/redirect-three-d/"),
					chromedp.WaitVisible(chromedp.CSS(`button[value="`+click+`"]`)),
					chromedp.Click(chromedp.CSS(`button[value="`+click+`"]`)),
					chromedp.WaitVisible(chromedp.CSS(map[string]string{"approve": "#order-token", "decline": "#checkout"}[click])))
			}
			location, _ := chromedp.Run(tab, chromedp.Location())
			if err != nil {
				t.Fatalf("the browser: %v (at %s)", err, location)
			}
			if click == "approve" {
				checkPlacedInBrowser(t, cs, tab, front.URL, location, stockBefore, ordersBefore)
			} else {
				checkNotPlacedInBrowser(t, cs, sh, front.URL, location, stockBefore, ordersBefore)
			}
		})
	}
}

// A shopper pays on the sandbox's hosted payment page in a real browser:
// from the redirect_url that RedirectionPaymentSelectedPage answers,
// clicking Pay or Cancel, back through the storefront to the thank-you
// page (an order) or to the checkout (no order, the stock held while the
// shopper was away given back, the basket kept).
func TestBrowserHostedPage(t *testing.T) {
	ctx := browser(t)
	var commerce string
	front := httptest.NewServer(storefront(&commerce, "osessionid"))
	t.Cleanup(front.Close)
	cs := newCheckoutStore(t, func(c *config.Config) { c.StorefrontURL = front.URL })
	commerce = cs.srv.URL

	for _, click := range []string{"pay", "cancel"} {
		t.Run(click, func(t *testing.T) {
			stockBefore, ordersBefore := cs.stock("TEE-B"), cs.count("SELECT COUNT(*) FROM orders WHERE status <> 'pending'")
			sh := cs.buyer(t, true, click+"@example.com", "TEE-B", 1)
			redirect := startHosted(t, cs, sh)
			if n := cs.stock("TEE-B"); n != stockBefore-1 {
				t.Fatalf("stock %d while the shopper is on the payment page, want %d held", n, stockBefore-1)
			}
			tab := tab(t, ctx)
			_, err := chromedp.Call(tab, network.SetCookie, network.SetCookieParams{
				Name: "osessionid", Value: sh.cookie("osessionid"), URL: cs.srv.URL})
			if err == nil {
				err = chromedp.Do(tab,
					chromedp.Navigate(redirect),
					chromedp.WaitVisible(chromedp.CSS(`button[value="`+click+`"]`)),
					chromedp.Click(chromedp.CSS(`button[value="`+click+`"]`)),
					chromedp.WaitVisible(chromedp.CSS(map[string]string{"pay": "#order-token", "cancel": "#checkout"}[click])))
			}
			location, _ := chromedp.Run(tab, chromedp.Location())
			if err != nil {
				t.Fatalf("the browser: %v (at %s)", err, location)
			}
			if click == "pay" {
				checkPlacedInBrowser(t, cs, tab, front.URL, location, stockBefore, ordersBefore)
			} else {
				checkNotPlacedInBrowser(t, cs, sh, front.URL, location, stockBefore, ordersBefore)
			}
		})
	}
}

// checkPlacedInBrowser: the browser ended on the storefront's thank-you
// page of an approved order, which took one unit of TEE-B.
func checkPlacedInBrowser(t *testing.T, cs *checkoutStore, tab context.Context, front, location string, stockBefore int64, ordersBefore int) {
	t.Helper()
	token, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#order-token")))
	var status string
	if err == nil {
		err = cs.db.QueryRow("SELECT status FROM orders WHERE token = $1", token).Scan(&status)
	}
	if err != nil || location != front+"/orders/completed/"+token+"/" || status != "approved" {
		t.Fatalf("the browser is at %s; order %q is %q (%v)", location, token, status, err)
	}
	if n := cs.stock("TEE-B"); n != stockBefore-1 || cs.count("SELECT COUNT(*) FROM orders") != ordersBefore+1 {
		t.Fatalf("stock %d after the order, want %d", n, stockBefore-1)
	}
}

// checkNotPlacedInBrowser: the browser is back on the storefront's
// checkout, with no order, the stock given back and the basket kept.
func checkNotPlacedInBrowser(t *testing.T, cs *checkoutStore, sh *shopper, front, location string, stockBefore int64, ordersBefore int) {
	t.Helper()
	if location != front+"/orders/checkout/" || cs.count("SELECT COUNT(*) FROM orders") != ordersBefore {
		t.Fatalf("the browser is at %s", location)
	}
	if n := cs.stock("TEE-B"); n != stockBefore {
		t.Fatalf("stock %d, want %d", n, stockBefore)
	}
	if b := basketOf(t, sh.do("GET", "/baskets/basket/", nil).must(t, 200)); b.Quantity != 1 {
		t.Fatalf("basket: %+v", b)
	}
}
