package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/roundhouse-ai/roundhouse/internal/ovmstest"
)

// listModels prints each directory of the repository holding a
// graph.pbtxt, relative to it (`ovms --list_models`).
func listModels(repo string, out io.Writer) error {
	if repo == "" {
		return errors.New("--list_models requires --model_repository_path")
	}
	return filepath.WalkDir(repo, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "graph.pbtxt" {
			rel, _ := filepath.Rel(repo, filepath.Dir(p))
			fmt.Fprintln(out, filepath.ToSlash(rel))
		}
		return nil
	})
}

// editConfig is --add_to_config / --remove_from_config
// (src/config_export_module/config_export.cpp): entries in
// model_config_list as {"config": {"name", "base_path"}}.
func editConfig(f *flags) error {
	if f.configPath == "" && f.repoPath != "" {
		f.configPath = filepath.Join(f.repoPath, "config.json")
	}
	if f.configPath == "" || f.modelName == "" {
		return errors.New("--add_to_config/--remove_from_config require --config_path and --model_name")
	}
	var cf ovmstest.ConfigFile
	data, err := os.ReadFile(f.configPath)
	switch {
	case errors.Is(err, fs.ErrNotExist) && f.addToConfig:
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(data, &cf); err != nil {
			return fmt.Errorf("Configuration file is not in valid configuration format: %v", err)
		}
	}
	i := slices.IndexFunc(cf.ModelConfigList, func(m ovmstest.ModelConfigItem) bool { return m.Config.Name == f.modelName })
	if f.addToConfig {
		if i >= 0 {
			return fmt.Errorf("Could not add model to configuration file: %s. Model with the same name already exists.", f.modelName)
		}
		path := f.modelPath
		if path == "" {
			path = f.modelName
			if f.repoPath != "" {
				path = filepath.Join(f.repoPath, f.modelName)
			}
		}
		cf.ModelConfigList = append(cf.ModelConfigList, ovmstest.ModelConfigItem{Config: ovmstest.ModelConfig{Name: f.modelName, BasePath: path, TargetDevice: f.targetDevice}})
	} else {
		if i < 0 {
			return fmt.Errorf("Configuration file doesn't have model with name: %s.", f.modelName)
		}
		cf.ModelConfigList = slices.Delete(cf.ModelConfigList, i, i+1)
	}
	out, _ := json.MarshalIndent(cf, "", "    ")
	return os.WriteFile(f.configPath, out, 0o644)
}
