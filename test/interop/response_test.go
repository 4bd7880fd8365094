package interop

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// TestResponseChannels runs one request/response server and two clients
// over Aeron response channels (control-mode=response,
// response-correlation-id): the server on one host, both clients on one
// driver on the other host, so the client driver must keep two response
// subscriptions of the same channel apart. Each client sends 200 numbered
// requests and must get back exactly the echo of each of its own, in order;
// the server must see two request images that asked for a response channel,
// answer each, and see both go away when the clients close.
//
// The pairs are (client side, server side). With {javaDriver, javaDriver}
// in their place the test checks the Java programs against Aeron alone.
func TestResponseChannels(t *testing.T) {
	netns.Require(t)
	const (
		requests = 200
		// Bounds the Java programs keep themselves; the test waits a little
		// longer so their own TIMEOUT line, which says what was missing,
		// is what fails it.
		clientTimeout = 25 * time.Second
		serverTimeout = 35 * time.Second
	)
	for _, p := range pairs {
		t.Run(pairName(p), func(t *testing.T) {
			start := time.Now()
			n := netns.New(t, netns.Options{})
			a, b := n.Hosts[0], n.Hosts[1]
			clientD := startDriverIn(t, a, p[0], nil)
			serverD := startDriverIn(t, b, p[1], nil)
			clientSide := fmt.Sprintf("client-side %s driver on %s", clientD.kind, a.Name)
			serverSide := fmt.Sprintf("server-side %s driver on %s", serverD.kind, b.Name)
			requestEndpoint := fmt.Sprintf("%s:40460", b.Addr())
			responseControl := fmt.Sprintf("%s:40461", b.Addr())
			const requestStream, responseStream = "1101", "1102"

			server := startJavaIn(t, serverD, "Response", "server", requestEndpoint, responseControl,
				requestStream, responseStream, "2", secs(serverTimeout))
			server.WaitOutput(t, "READY", 30*time.Second)
			names := []string{"A", "B"}
			clients := make([]*aeronjava.Process, len(names))
			for i, name := range names {
				clients[i] = startJavaIn(t, clientD, "Response", "client", name, requestEndpoint, responseControl,
					requestStream, responseStream, fmt.Sprint(requests), secs(clientTimeout))
			}

			fail := func(format string, args ...any) {
				t.Helper()
				aeronjava.LogCounters(t, clientSide, clientD.dir)
				aeronjava.LogCounters(t, serverSide, serverD.dir)
				var b strings.Builder
				fmt.Fprintf(&b, format, args...)
				for i, c := range clients {
					fmt.Fprintf(&b, "\n--- client %s (%s):\n%s", names[i], clientSide, c.Output())
				}
				fmt.Fprintf(&b, "\n--- server (%s):\n%s", serverSide, server.Output())
				t.Fatal(b.String())
			}

			sessions := map[string]string{}
			deadline := time.Now().Add(clientTimeout + 10*time.Second)
			for i, c := range clients {
				// A server that failed leaves its clients waiting for
				// their own timeout; report it at once instead.
				for !c.Exited() && !server.Exited() && time.Now().Before(deadline) {
					time.Sleep(50 * time.Millisecond)
				}
				if !c.Exited() && server.Exited() {
					if code, _ := exitCode(server, 0); code != 0 {
						fail("server (%s) exited %d while client %s (%s) waited: %s", serverSide, code,
							names[i], clientSide, verdict(server.Output()))
					}
				}
				code, ok := exitCode(c, time.Until(deadline))
				if !ok {
					fail("client %s (%s) still running after %v", names[i], clientSide, clientTimeout+10*time.Second)
				}
				if code != 0 {
					fail("client %s (%s) exited %d: %s%s", names[i], clientSide, code,
						verdict(c.Output()), serverVerdict(server.Output()))
				}
				want := fmt.Sprintf("RESULT client=%s requests=%d responses=%d ", names[i], requests, requests)
				if l := lines(c.Output(), want); len(l) != 1 {
					fail("client %s: no %q line", names[i], want)
				}
				s := field(c.Output(), "CONNECTED", "response-session")
				if other, dup := sessions[s]; dup {
					fail("clients %s and %s both got responses from session %s", other, names[i], s)
				}
				sessions[s] = names[i]
			}

			clientsDone := time.Since(start)

			// The clients closed their request publications; the server ends
			// once it has seen both request images go.
			code, ok := exitCode(server, serverTimeout+5*time.Second)
			if !ok || code != 0 {
				fail("server (%s) did not finish (exit %d, running %v): %s", serverSide, code, !ok,
					verdict(server.Output()))
			}
			if want := fmt.Sprintf("DONE sessions=2 requests=%d", 2*requests); len(lines(server.Output(), want)) != 1 {
				fail("server (%s): no %q line", serverSide, want)
			}
			for _, name := range names {
				want := fmt.Sprintf(" client=%s requests=%d", name, requests)
				if len(lines(server.Output(), want)) != 1 {
					fail("server (%s): no CLOSED line with %q", serverSide, want)
				}
			}
			images := starting(server.Output(), "SESSION ")
			if len(images) != 2 {
				fail("server (%s) saw %d request images, want 2", serverSide, len(images))
			}
			for _, l := range images {
				if !strings.Contains(l, "source="+a.Addr().String()+":") {
					fail("server (%s): request image not from the client host %s: %s", serverSide, a.Addr(), l)
				}
			}
			t.Logf("2 clients x %d requests: exchange after connecting took %s ms (A) and %s ms (B); "+
				"clients done %v, server done %v after the start of the namespaces",
				requests, field(clients[0].Output(), "RESULT", "elapsed-ms"),
				field(clients[1].Output(), "RESULT", "elapsed-ms"),
				clientsDone.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		})
	}
}

func secs(d time.Duration) string { return fmt.Sprint(int(d.Seconds())) }

// exitCode waits up to d for p; ok is false when it is still running.
func exitCode(p *aeronjava.Process, d time.Duration) (code int, ok bool) {
	if !p.Exited() {
		if _, ok := p.Wait(d); !ok {
			return 0, false
		}
	}
	return p.Cmd.ProcessState.ExitCode(), true
}

// verdict is a Java program's own account of a failure: its FAIL, TIMEOUT
// and ERROR lines, or its last line when it printed none.
func verdict(out string) string {
	v := starting(out, "FAIL ", "TIMEOUT ", "ERROR ")
	if len(v) == 0 {
		all := strings.Split(strings.TrimSpace(out), "\n")
		return "last line: " + all[len(all)-1]
	}
	return strings.Join(v, "; ")
}

// serverVerdict adds the server's failure lines to a client's, since a
// client that timed out often waited for a server that had already failed.
func serverVerdict(out string) string {
	v := starting(out, "FAIL ", "ERROR ")
	if len(v) == 0 {
		return ""
	}
	return "; server: " + strings.Join(v, "; ")
}

// starting returns the output lines that start with one of the prefixes.
func starting(out string, prefixes ...string) []string {
	var v []string
	for _, l := range strings.Split(out, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				v = append(v, l)
				break
			}
		}
	}
	return v
}

// field is the value of key=value on the first output line starting with
// prefix, or "?" when there is none.
func field(out, prefix, key string) string {
	for _, l := range starting(out, prefix+" ") {
		for _, f := range strings.Fields(l) {
			if v, ok := strings.CutPrefix(f, key+"="); ok {
				return v
			}
		}
	}
	return "?"
}
