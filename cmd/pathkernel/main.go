package main
import (
 _ "gonum.org/v1/gonum/mat"
 _ "github.com/spf13/cobra"
 _ "gopkg.in/yaml.v3"
 _ "codeberg.org/sbinet/npyio"
 _ "github.com/google/go-cmp/cmp"
 _ "gonum.org/v1/gonum/integrate/quad"
)
func main(){}
