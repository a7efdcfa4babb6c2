module github.com/ekjon/ekjon

go 1.26.8
