// A small service with the anti-patterns connlint finds. Run: connlint examples/
package main

import (
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
	w.WriteHeader(resp.StatusCode)
}

func main() {
	http.HandleFunc("/healthz", health)
	http.HandleFunc("/api", proxy)
	srv := &http.Server{Addr: ":8080"}
	srv.SetKeepAlivesEnabled(false)
	log.Fatal(srv.ListenAndServe())
}
