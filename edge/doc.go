// Package edge is the fasthttp server of corsedge: it classifies each
// request, decides its CORS headers from the current rule table (through a
// decision cache), hands asset requests to package assets, reloads the rule
// table when rules.toml changes, and serves the admin endpoints.
package edge
