# syntax=docker/dockerfile:1
# Build a static binary, then ship it alone on a minimal, non-root base.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/driftwarden ./cmd/driftwarden

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/driftwarden /usr/local/bin/driftwarden
COPY --from=build /src/examples/demo /demo
USER nonroot:nonroot
WORKDIR /var/lib/driftwarden
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/driftwarden"]
CMD ["run", "--config", "/etc/driftwarden/driftwarden.yaml"]
