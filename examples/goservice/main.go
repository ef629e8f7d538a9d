// A small service with the anti-patterns connlint finds. Run: connlint examples/
package main

import (
	"io"
	"log"
	"net/http"
	"time"
)

var upstream = &http.Client{
	Transport: &http.Transport{DisableKeepAlives: true},
	Timeout:   5 * time.Second,
}

func health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusOK)
}

func proxy(w http.ResponseWriter, r *http.Request) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://backend.internal/api", nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Close = true
	resp, err := upstream.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		http.Error(w, "upstream failed", http.StatusBadGateway)
		return
	}
	io.Copy(w, resp.Body)
}

func report(w http.ResponseWriter, r *http.Request) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 10}, Timeout: 5 * time.Second}
	resp, err := client.Get("http://metrics.internal/report")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	io.Copy(w, resp.Body)
}

func main() {
	http.HandleFunc("/healthz", health)
	http.HandleFunc("/api", proxy)
	http.HandleFunc("/report", report)
	srv := &http.Server{Addr: ":8080"}
	srv.SetKeepAlivesEnabled(false)
	log.Fatal(srv.ListenAndServe())
}
