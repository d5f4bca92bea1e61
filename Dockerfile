# parley, built from this repository.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /parley ./cmd/parley

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata && rm -rf /var/lib/apt/lists/*
COPY --from=build /parley /usr/local/bin/parley
USER nobody
EXPOSE 8080 2525
ENTRYPOINT ["parley"]
CMD ["serve"]
