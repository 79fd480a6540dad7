// Package manifest reads, checks and writes a plugin's manifest
// (plugin.yaml or plugin.json): who the plugin is, which services it
// offers, which executable runs it on each platform and what it needs.
//
// The host loads manifests to discover plugins; sdktest and plugins that
// embed their own manifest (to read their engine downloads) use it too.
// A plugin that only serves needs package sdk alone.
package manifest
