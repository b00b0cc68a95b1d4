// Package deploy holds the deployment kit (Dockerfile, Kubernetes manifests,
// systemd unit); its tests check each file against the binary's real flags
// and endpoints. It has no Go code of its own.
package deploy
