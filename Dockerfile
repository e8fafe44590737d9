# syntax=docker/dockerfile:1
# A static binary on a distroless base, run as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# `server version` and the status page show these (fly deploy --build-arg
# GIT_COMMIT=$(git rev-parse HEAD) --build-arg BUILD_TIME=$(date -u +%FT%TZ)).
ARG GIT_COMMIT=""
ARG BUILD_TIME=""
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X knacksync/internal/buildinfo.commit=${GIT_COMMIT} -X knacksync/internal/buildinfo.buildTime=${BUILD_TIME}" -o /out/server ./cmd/server

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/server /app/server
USER nonroot:nonroot
EXPOSE 8080
CMD ["/app/server", "serve"]
