# daemon/service: metrics, Prometheus endpoint, systemd units, man pages
