package hclspec

import (
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
)

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "project", LabelNames: []string{"name"}},
		{Type: "environment", LabelNames: []string{"name"}},
		{Type: "model", LabelNames: []string{"name"}},
		{Type: "seed", LabelNames: []string{"model", "name"}},
	},
}

// decoder holds what decoding needs beyond the Spec: where things were
// declared, for cross-model checks and "already declared" details.
type decoder struct {
	spec   *Spec
	ranges map[*Model]*modelRanges
}

// modelRanges are the source ranges of a model's names, pointing at the
// attribute that set each one, or at the model label for defaults.
type modelRanges struct {
	name, table, namespace, keyPattern hcl.Range
}

// decode fills s from the bodies of all files.
func (s *Spec) decode(bodies []hcl.Body) hcl.Diagnostics {
	d := &decoder{spec: s, ranges: map[*Model]*modelRanges{}}
	var diags hcl.Diagnostics
	var projects, envs, models, seeds []*hcl.Block
	for _, b := range bodies {
		content, cd := b.Content(rootSchema)
		diags = append(diags, cd...)
		if content == nil {
			continue
		}
		for _, blk := range content.Blocks {
			switch blk.Type {
			case "project":
				projects = append(projects, blk)
			case "environment":
				envs = append(envs, blk)
			case "model":
				models = append(models, blk)
			case "seed":
				seeds = append(seeds, blk)
			}
		}
	}
	diags = append(diags, d.projects(projects)...)
	diags = append(diags, d.environments(envs)...)

	seen := map[string]*hcl.Block{}
	unique := models[:0:0]
	for _, blk := range models {
		name := blk.Labels[0]
		if prev, ok := seen[name]; ok {
			diags = append(diags, duplicate(labelRange(blk, 0), labelRange(prev, 0),
				"Duplicate model declaration", "A model named \""+name+"\""))
			continue
		}
		seen[name] = blk
		unique = append(unique, blk)
	}
	for _, r := range d.models(unique) {
		diags = append(diags, r.diags...)
		s.Models = append(s.Models, r.model)
		d.ranges[r.model] = r.ranges
	}
	sort.SliceStable(s.Models, func(i, j int) bool { return s.Models[i].Name < s.Models[j].Name })
	diags = append(diags, d.crossModel()...)

	seenSeed := map[[2]string]*hcl.Block{}
	for _, blk := range seeds {
		key := [2]string{blk.Labels[0], blk.Labels[1]}
		if prev, ok := seenSeed[key]; ok {
			diags = append(diags, duplicate(labelRange(blk, 1), labelRange(prev, 1),
				"Duplicate seed declaration", "A seed \""+key[1]+"\" for model \""+key[0]+"\""))
			continue
		}
		seenSeed[key] = blk
		sd, dd := d.seed(blk)
		diags = append(diags, dd...)
		if sd != nil {
			s.Seeds = append(s.Seeds, sd)
		}
	}
	return diags
}

// decodedModel is one model block decoded.
type decodedModel struct {
	model  *Model
	ranges *modelRanges
	diags  hcl.Diagnostics
}

// models decodes model blocks, each on its own (they share nothing until
// crossModel), in parallel on up to GOMAXPROCS goroutines, and returns
// them in the order of blocks.
func (d *decoder) models(blocks []*hcl.Block) []decodedModel {
	out := make([]decodedModel, len(blocks))
	decode := func(i int, wd *decoder) {
		m, diags := wd.model(blocks[i])
		out[i] = decodedModel{model: m, ranges: wd.ranges[m], diags: diags}
	}
	workers := min(runtime.GOMAXPROCS(0), len(blocks)/minModelsPerWorker)
	if workers <= 1 {
		for i := range blocks {
			decode(i, d)
		}
		return out
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		// Each worker records ranges in its own map; decode copies them
		// into d.ranges afterwards.
		wd := &decoder{spec: d.spec, ranges: map[*Model]*modelRanges{}}
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(blocks) {
					return
				}
				decode(i, wd)
			}
		})
	}
	wg.Wait()
	return out
}

// minModelsPerWorker keeps small configurations on one goroutine, where
// starting others costs more than it saves.
const minModelsPerWorker = 16

var projectSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "binding_prefix"}},
}

func (d *decoder) projects(blocks []*hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for i, blk := range blocks {
		if i > 0 {
			diags = append(diags, duplicate(blk.DefRange, blocks[0].DefRange,
				"Duplicate project block", "A project block"))
			continue
		}
		name := blk.Labels[0]
		if !projectNameRE.MatchString(name) || len(name) > 63 {
			diags = append(diags, errorf(labelRange(blk, 0), "Invalid project name",
				"A project name must be 1 to 63 lower-case letters, digits, \"-\" or \"_\", starting with a letter or digit; it is part of every KV namespace title."))
		} else {
			d.spec.Project.Name = name
		}
		content, cd := blk.Body.Content(projectSchema)
		diags = append(diags, cd...)
		if a, ok := content.Attributes["binding_prefix"]; ok {
			p, pd := staticString(a)
			diags = append(diags, pd...)
			if !pd.HasErrors() {
				if p != "" && !bindingRE.MatchString(p) {
					diags = append(diags, errorf(a.Expr.Range(), "Invalid binding prefix",
						"A binding prefix must start with a letter or underscore and hold only letters, digits and underscores, because Worker bindings are JavaScript identifiers."))
				} else {
					d.spec.Project.BindingPrefix = p
				}
			}
		}
	}
	return diags
}
