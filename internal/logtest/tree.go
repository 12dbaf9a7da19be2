package logtest

import "fmt"

// TreeNode is a node of a tree with parent pointers: cyclic as a graph,
// a tree as JSON (the parent is left out), the shape that makes a naive
// deep copy of a logged value exponential.
type TreeNode struct {
	Name     string
	Parent   *TreeNode `json:"-"`
	Children []*TreeNode
}

// NewTree returns a root with the given number of children, each pointing
// back at it.
func NewTree(children int) *TreeNode {
	root := &TreeNode{Name: "root"}
	for i := range children {
		root.Children = append(root.Children, &TreeNode{Name: fmt.Sprint("child-", i), Parent: root})
	}
	return root
}
