package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// maxExpanded bounds the bytes of scalar values a policy file may expand
// to once YAML aliases are resolved. An alias costs one line to write but
// copies its anchor's whole value everywhere it is used, so a small file
// can otherwise stand for gigabytes (a "billion laughs" document) and keep
// validation busy for minutes. Real policies expand to a few kilobytes.
const maxExpanded = 16 << 20

// checkExpansion refuses a document whose aliases expand to more than
// maxExpanded bytes of scalars, naming the alias that crossed the limit.
func checkExpansion(name string, root *yaml.Node) error {
	sizes := map[*yaml.Node]int64{} // anchored node -> expanded size
	var total int64
	var walk func(n *yaml.Node, depth int) (int64, error)
	walk = func(n *yaml.Node, depth int) (int64, error) {
		if depth > 10_000 {
			return 0, &Error{Source: name, Line: n.Line, Msg: "document nests too deeply"}
		}
		if n.Kind == yaml.AliasNode {
			sz, ok := sizes[n.Alias]
			if !ok {
				// An alias to an anchor that is still being walked is a
				// cycle; the decoder reports it.
				return 1, nil
			}
			total += sz
			if total > maxExpanded {
				return 0, &Error{Source: name, Line: n.Line,
					Msg: fmt.Sprintf("aliases expand the document past %d MiB; write the values out or use fewer aliases", maxExpanded>>20)}
			}
			return sz, nil
		}
		sum := int64(len(n.Value)) + 1
		for _, c := range n.Content {
			sz, err := walk(c, depth+1)
			if err != nil {
				return 0, err
			}
			sum += sz
		}
		if n.Anchor != "" {
			sizes[n] = sum
		}
		return sum, nil
	}
	_, err := walk(root, 0)
	return err
}
