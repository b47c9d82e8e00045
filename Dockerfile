# Switchyard: a static binary in an empty image, run as a non-root user.
#
#   docker build -t switchyard .
#   docker run --rm -p 127.0.0.1:8080:8080 -e SWITCHYARD_LISTEN=0.0.0.0:8080 \
#     -v $PWD/switchyard.yaml:/etc/switchyard/switchyard.yaml:ro switchyard
#
# The image holds no config: mount one at /etc/switchyard/switchyard.yaml
# (compose.yaml mounts deploy/switchyard.yaml). Inside a container the API
# must listen on 0.0.0.0 (SWITCHYARD_LISTEN), and an admin API off loopback
# needs admin.token (SWITCHYARD_ADMIN_TOKEN).
#
# .ci/dockerbuild runs the build stage's go build line below as a plain
# script (the CI machine has no Docker engine) and checks its output is a
# static ELF; keep that line on one line, as the script reads it from here.

# A tag, not a digest: golang:1.26 follows Go's 1.26 patch releases (the
# module needs 1.26.8 or later). Pin a digest (golang:1.26@sha256:...) for
# byte-for-byte rebuilds.
FROM golang:1.26 AS build
WORKDIR /src
# Modules first: this layer is rebuilt only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO_ENABLED=0: no libc and no dynamic loader, so it runs in scratch.
# -trimpath and -s -w: no build paths or symbol tables in the image.
# timetzdata embeds the time zone database (budgets in a tenant's time zone):
# scratch has no /usr/share/zoneinfo.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -tags timetzdata -o /out/switchyard ./cmd/switchyard
# The data volume, owned by the user the gateway runs as: scratch has no
# shell to chown it later.
RUN mkdir -p /out/data && chown 65532:65532 /out/data && chmod 0700 /out/data

FROM scratch
# CA certificates for the clouds' https endpoints.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/switchyard /switchyard
COPY --from=build --chown=65532:65532 /out/data /data
# 65532 is distroless's "nonroot": no name is needed without /etc/passwd.
USER 65532:65532
ENV SWITCHYARD_DATA_DIR=/data
VOLUME ["/data"]
# 8080: the API (probes: GET /healthz, liveness; GET /readyz, readiness,
# 503 while draining). 8081: the admin API. scratch has no program to run a
# HEALTHCHECK with: orchestrators and load balancers probe those paths.
EXPOSE 8080 8081
ENTRYPOINT ["/switchyard"]
CMD ["serve", "--config", "/etc/switchyard/switchyard.yaml"]
