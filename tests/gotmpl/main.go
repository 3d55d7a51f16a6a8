// Command gotmpl generates the differential template corpus (see gen.go)
// and the Unicode tables of the C engine (see unicode.go).
package main

import (
	"flag"
	"log"
	"os"
)

func main() {
	uni := flag.Bool("unicode", false, "write src/tplunicode.c to stdout")
	fuzz := flag.String("fuzz", "", "write fuzz seeds into this directory")
	flag.Parse()
	if *uni {
		writeUnicode(os.Stdout)
		return
	}
	if *fuzz != "" {
		if err := writeFuzz(*fuzz); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := generate(os.Stdout); err != nil {
		log.Fatal(err)
	}
}
